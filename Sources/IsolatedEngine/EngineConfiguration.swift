import Foundation
public import IsolatedCore

/// How an ``Engine`` builds environments and runs runners.
public struct EngineConfiguration: Sendable {
    /// Where environments, compiled functions and runner directories live: `ISOLATED_HOME`,
    /// or `~/.cache/isolated`; a relative path is taken from the current directory.
    public var home: String
    /// The directory holding `swift` and `swiftc`; by default the first on `PATH`.
    public var toolchainDirectory: String?
    /// The build configuration environments and functions are compiled in.
    public var buildConfiguration: BuildConfiguration
    /// The machine types calls may ask for.
    public var machineTypes: MachineTypeCatalog
    /// How often a busy runner is asked whether it is alive.
    public var heartbeatInterval: Duration
    /// How long a busy runner may leave heartbeats unanswered before it is killed.
    public var heartbeatTimeout: Duration
    /// How long a runner told to stop may take before it is killed.
    public var stopGracePeriod: Duration
    /// How long a call may wait for a runner (for the machine's capacity, or its function's
    /// `maxConcurrency`) before it fails with `queueTimedOut`.
    public var queueTimeout: Duration
    /// Whether runners are confined to their machine type's limits with cgroups, where the
    /// machine allows it (`isolated doctor` says whether it does).
    public var enforceLimits: Bool
    /// How deep isolated calls may nest (a call made from inside a worker is one level deeper);
    /// deeper calls fail, which stops cycles and runaway recursion.
    public var maxNestingDepth: Int
    /// How runners are sandboxed (`isolated doctor` says what this machine allows).
    public var sandbox: SandboxConfiguration
    /// The most a function may print (standard output and error together) in one call; a
    /// function that prints more is stopped and the call fails with `outputLimitExceeded`.
    public var maxOutputBytesPerCall: Int
    /// How long a call may run when its function sets no `timeout:`: 300 s, Modal's default.
    /// Long enough for real work, short enough that a function spinning forever gives its
    /// runner back within minutes; the deadline is checked at each heartbeat.
    public var defaultTimeout: Duration
    /// The pause before a call's first retry; each further retry waits twice as long.
    public var retryBackoff: Duration
    /// Where runners run: on this machine, or on a Slurm cluster's nodes.
    public var launcher: LauncherConfiguration
    /// Whether a function without requirements or Foundation is linked again, in the background,
    /// into one static executable, which this machine's new runners then start from: an idle
    /// runner of it holds about 6 MB instead of 9.6. Its first runners start from the dynamically
    /// linked worker, which links in a fraction of the time. The first such link also compiles
    /// the runtime as static archives, 15–40 s of one core, which an engine that stops
    /// sooner abandons: so it is for long-lived engines, and `isolated serve` turns it on.
    public var linksWorkersStatically: Bool

    /// How runners are sandboxed.
    public struct SandboxConfiguration: Sendable {
        /// Whether runners get their own namespaces, file-system view and user, where the
        /// machine allows it (the engine runs as root).
        public var enabled: Bool
        /// The user id runners run as when the engine runs as root; `nobody` by default.
        public var userID: UInt32
        /// The group id runners run as; `nogroup` by default.
        public var groupID: UInt32

        /// Creates a sandbox configuration; every value has a default.
        public init(enabled: Bool = true, userID: UInt32 = 65534, groupID: UInt32 = 65534) {
            self.enabled = enabled
            self.userID = userID
            self.groupID = groupID
        }
    }

    /// The build configuration of environments and compiled functions.
    public enum BuildConfiguration: String, Sendable, Codable {
        /// Unoptimized: fastest to build.
        case debug
        /// Optimized: slower to build, faster to run.
        case release
    }

    /// Creates a configuration; every value has a default.
    public init(
        home: String? = nil,
        toolchainDirectory: String? = nil,
        buildConfiguration: BuildConfiguration = .debug,
        machineTypes: MachineTypeCatalog = .standard,
        heartbeatInterval: Duration = .seconds(1),
        heartbeatTimeout: Duration = .seconds(10),
        stopGracePeriod: Duration = .seconds(5),
        maxNestingDepth: Int = 8,
        queueTimeout: Duration = .seconds(120),
        enforceLimits: Bool = true,
        sandbox: SandboxConfiguration = SandboxConfiguration(),
        maxOutputBytesPerCall: Int = 64 << 20,
        defaultTimeout: Duration = .seconds(300),
        retryBackoff: Duration = .milliseconds(250),
        launcher: LauncherConfiguration = .local,
        linksWorkersStatically: Bool = false
    ) {
        // Absolute: runners start in directories of their own, where a relative home means nothing.
        self.home = URL(fileURLWithPath: home ?? Self.defaultHome).standardizedFileURL.path
        self.toolchainDirectory = toolchainDirectory
        self.buildConfiguration = buildConfiguration
        self.machineTypes = machineTypes
        self.heartbeatInterval = heartbeatInterval
        self.heartbeatTimeout = heartbeatTimeout
        self.stopGracePeriod = stopGracePeriod
        self.maxNestingDepth = maxNestingDepth
        self.queueTimeout = queueTimeout
        self.enforceLimits = enforceLimits
        self.sandbox = sandbox
        self.maxOutputBytesPerCall = maxOutputBytesPerCall
        self.defaultTimeout = defaultTimeout
        self.retryBackoff = retryBackoff
        self.launcher = launcher
        self.linksWorkersStatically = linksWorkersStatically
    }

    /// `ISOLATED_HOME`, or `~/.cache/isolated`.
    public static var defaultHome: String {
        if let home = ProcessInfo.processInfo.environment["ISOLATED_HOME"], !home.isEmpty { return home }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/isolated").path
    }
}
