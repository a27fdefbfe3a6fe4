/// How a ``Store`` keeps its records.
package struct StoreConfiguration: Sendable {
    /// The most bytes of output kept per invocation. The first this many are kept and later
    /// output is dropped, with ``InvocationRecord/logsTruncated`` set: the start of a run says
    /// what it was doing, and crashes carry their own last lines in ``IsolatedError/logTail``.
    package var maxLogBytes: Int
    /// How long a write waits for another process holding the database's lock before failing.
    package var busyTimeout: Duration
    /// How stale ``KeyRecord/lastUsedAt`` may get; authenticating writes it at most this often,
    /// so a busy key does not turn every request into a write.
    package var lastUsedResolution: Duration
    /// How long a key verified against the database is trusted without asking it again. A key
    /// revoked through this store stops working at once; one revoked by another process (a
    /// local `isolated keys revoke` beside the server) within this long.
    package var verifiedKeyLifetime: Duration
    /// Whether opening marks invocations left `running` as `interrupted`. Only the server that
    /// records invocations should: a tool opening the file beside a running server must pass
    /// `false`, or it would mark that server's live calls as interrupted.
    package var interruptsRunningInvocations: Bool

    /// Creates a configuration; the defaults suit the server.
    package init(
        maxLogBytes: Int = 1 << 20,
        busyTimeout: Duration = .seconds(5),
        lastUsedResolution: Duration = .seconds(60),
        verifiedKeyLifetime: Duration = .seconds(2),
        interruptsRunningInvocations: Bool = true
    ) {
        self.verifiedKeyLifetime = verifiedKeyLifetime
        self.maxLogBytes = maxLogBytes
        self.busyTimeout = busyTimeout
        self.lastUsedResolution = lastUsedResolution
        self.interruptsRunningInvocations = interruptsRunningInvocations
    }
}
