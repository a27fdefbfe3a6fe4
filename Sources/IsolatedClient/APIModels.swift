public import Foundation
public import IsolatedCore

/// One phase of a call as the API reports it: durations in seconds.
public struct PhaseTiming: Sendable, Codable, Hashable {
    /// `environment`, `compile`, `queue`, `start`, `run` or `transfer`.
    public var phase: String
    /// How long it took, in seconds.
    public var seconds: Double
    /// `cached`, `built`, `compiled`, `warm`, `cold`, … when the phase has such an outcome.
    public var outcome: String?

    /// The API form of `timing`.
    public init(_ timing: CallReport.Timing) {
        phase = timing.phase.rawValue
        seconds = timing.duration.seconds
        outcome = timing.outcome
    }
}

/// A recorded call, as `GET /v1/invocations` lists it.
public struct InvocationInfo: Sendable, Hashable, Codable {
    /// The server's id for the call.
    public var id: String
    /// The function's name.
    public var function: String
    /// The file that declares it.
    public var file: String
    /// The line its declaration starts on.
    public var line: Int
    /// Its machine type.
    public var machineType: String
    /// The environment it ran in, once known.
    public var environmentKey: String?
    /// The runner that ran it, once known.
    public var runnerID: String?
    /// The key that made the call (its id, never its secret); nil for keyless development access.
    public var keyID: String?
    /// The invocation that made this one, when it is a nested call recorded on its own (a Python
    /// function's nested calls are).
    public var parentID: String?
    /// When it started.
    public var startedAt: Date
    /// When it ended; nil while it runs.
    public var endedAt: Date?
    /// `running`, `succeeded`, `failed`, `cancelled` or `interrupted` (the server stopped during it).
    public var outcome: String
    /// Whether it reused a warm runner.
    public var warm: Bool
    /// Its phases, in order.
    public var phases: [PhaseTiming]
    /// Why it failed.
    public var error: IsolatedError?
    /// How many bytes of output were kept.
    public var logBytes: Int
    /// Whether output past the server's limit was dropped.
    public var logsTruncated: Bool

    /// Creates a record.
    public init(
        id: String, function: String, file: String, line: Int, machineType: String, environmentKey: String?, runnerID: String?, keyID: String?,
        parentID: String? = nil, startedAt: Date, endedAt: Date?, outcome: String, warm: Bool, phases: [PhaseTiming], error: IsolatedError?,
        logBytes: Int,
        logsTruncated: Bool
    ) {
        self.id = id
        self.function = function
        self.file = file
        self.line = line
        self.machineType = machineType
        self.environmentKey = environmentKey
        self.runnerID = runnerID
        self.keyID = keyID
        self.parentID = parentID
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.warm = warm
        self.phases = phases
        self.error = error
        self.logBytes = logBytes
        self.logsTruncated = logsTruncated
    }
}

/// An API key as the API lists it; its secret is shown only once, when it is created.
public struct KeyInfo: Sendable, Codable, Hashable {
    /// The key's id (the part of the secret after `isk_`, before the second `_`).
    public var id: String
    /// Its name.
    public var name: String
    /// `invoke` (call functions, read calls and their output) or `admin` (also manage keys,
    /// environments and runners).
    public var scope: String
    /// When it was created.
    public var createdAt: Date
    /// When it was last used.
    public var lastUsedAt: Date?
    /// When it was revoked; revoked keys are refused.
    public var revokedAt: Date?

    /// Creates a key description.
    public init(id: String, name: String, scope: String, createdAt: Date, lastUsedAt: Date?, revokedAt: Date?) {
        self.id = id
        self.name = name
        self.scope = scope
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

/// The response of `POST /v1/keys`: the key and, this once, its secret.
public struct CreatedKey: Sendable, Hashable, Codable {
    /// The key.
    public var key: KeyInfo
    /// The secret to put in `ISOLATED_KEY`; the server keeps only its hash.
    public var secret: String

    /// Creates a response.
    public init(key: KeyInfo, secret: String) {
        self.key = key
        self.secret = secret
    }
}

/// A built environment, as `GET /v1/environments` lists it.
public struct EnvironmentInfo: Sendable, Codable, Hashable {
    /// Its content-addressed key.
    public var key: String
    /// `swift`, or `python` and the interpreter's version (`python 3.11.7`).
    public var runtime: String
    /// The requirements it was built from.
    public var requirements: [String]
    /// Its size on disk.
    public var bytes: Int64
    /// When it was built.
    public var builtAt: Date
    /// When a function last used it.
    public var lastUsed: Date
    /// The functions compiled against it.
    public var functions: [String]

    /// Creates a description.
    public init(key: String, runtime: String, requirements: [String], bytes: Int64, builtAt: Date, lastUsed: Date, functions: [String]) {
        self.key = key
        self.runtime = runtime
        self.requirements = requirements
        self.bytes = bytes
        self.builtAt = builtAt
        self.lastUsed = lastUsed
        self.functions = functions
    }
}

/// The response of the removal routes: what was removed.
public struct Removed: Sendable, Hashable, Codable {
    /// The keys or ids removed.
    public var removed: [String]

    /// Creates a response.
    public init(removed: [String]) { self.removed = removed }
}
