package import CoreMetrics
package import Prometheus

/// The server's metrics: one Prometheus registry that the engine records its calls, runners and
/// environments into (through ``factory``, given to the engine) and the server its refused
/// requests, rendered by `GET /metrics` with swift-prometheus. Rendering only reads what was
/// recorded: a scrape never waits on the engine or walks the disk.
package final class ServerMetrics: Sendable {
    /// Where every metric lives.
    package let registry: PrometheusCollectorRegistry
    /// The factory to create an engine with, so its metrics land in ``registry``.
    package let factory: PrometheusMetricsFactory

    /// Upper bounds of the phase-duration histogram's buckets: a warm call's run phase takes
    /// about a tenth of a millisecond, an environment build minutes.
    static let buckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100),
        .milliseconds(500), .seconds(1), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
    ]

    package init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.buckets
        self.registry = registry
        self.factory = factory
    }

    /// Counts a request refused before it ran (`unauthorized`, `forbidden`, `tooLarge`, `malformed`, `invalid`,
    /// `unrecorded`), or a connection closed for sending its body too slowly (`slowBody`).
    package func recordRejection(_ reason: String) {
        Counter(label: "isolated_requests_rejected_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    /// Everything recorded, in the Prometheus text format.
    package func render() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(8192)
        registry.emit(into: &buffer)
        return buffer
    }
}
