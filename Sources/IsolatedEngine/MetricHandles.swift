import CoreMetrics
import Synchronization

/// The counters, timers and gauges the engine reports to, each made once per label and
/// dimensions. A factory validates the name and looks the metric up each time one is made, and
/// the engine reports to several in every call: 2% of `isolated serve`'s CPU with 32 callers.
final class MetricHandles: Sendable {
    private struct Key: Hashable {
        let type: ObjectIdentifier
        let label: String
        let dimensions: [String]
    }

    private let handles = Mutex<[Key: any Sendable]>([:])
    /// Dimensions come from small sets (outcomes, phases, nodes, runner states); past this many
    /// handles the cache starts again rather than grow.
    private let capacity = 1024

    /// The handle of `label` with `dimensions`, made by `make` the first time.
    func handle<Handle: Sendable>(_ label: String, _ dimensions: [(String, String)] = [], make: () -> Handle) -> Handle {
        let key = Key(type: ObjectIdentifier(Handle.self), label: label, dimensions: dimensions.flatMap { [$0.0, $0.1] })
        if let handle = handles.withLock({ $0[key] }) as? Handle { return handle }
        let handle = make()
        handles.withLock { handles in
            if handles.count >= capacity { handles.removeAll(keepingCapacity: true) }
            handles[key] = handle
        }
        return handle
    }
}
