@_exported public import IsolatedCore

/// Runs every call of the function in a dedicated worker process, built from `requirements`,
/// on a machine of type `machineType`, kept warm for `keepAlive` seconds after each call.
///
/// The body is shipped as source and compiled in the worker's environment, never on the host,
/// so it may use modules that only the requirements provide. Its signature is checked here:
/// the function must be top-level or static, `async throws`, not generic, and every parameter
/// and the result must be `Codable & Sendable`.
///
/// ```swift
/// @Isolated(requirements: ["apple/swift-algorithms@1.2.0"], machineType: "XS", keepAlive: 10)
/// func chunked(_ values: [Int], size: Int) async throws -> [[Int]] {
///     values.chunks(ofCount: size).map(Array.init)
/// }
/// ```
///
/// - Parameters:
///   - requirements: Swift packages the worker's environment contains; their library products
///     are imported into the function's source. Any expression, evaluated at each call.
///   - machineType: The machine type to run on; any expression.
///   - keepAlive: Seconds the worker stays warm after each call; `0` stops it right after.
///   - uses: Declarations shipped with the function: other `@Isolated` functions (called as
///     nested isolated calls, each on its own machine), `@Cached` functions, and functions and
///     types marked `@Shippable`. List them by name: `[loadModel, Model.self]`.
///   - maxConcurrency: The most runners the function may have at once; calls beyond it wait,
///     as the `queue` phase, for the next free runner. No limit when nil.
///   - network: `.disabled` runs the function without network access: its runner gets a
///     network namespace with only loopback. Needs the sandbox; `isolated doctor` says whether
///     this machine has it.
///   - timeout: Seconds one call may run; past it the runner is killed and the call fails with
///     `timedOut`. Nil takes the engine's default (`EngineConfiguration.defaultTimeout`, 300 s).
///     A nested call never runs past its caller's deadline.
///   - retries: How many more times to try a call when the machinery fails (its runner crashed,
///     could not start or stopped answering), each time on a new runner after a growing pause.
///     An error the function throws, a compile error, `outOfMemory` and `timedOut` are never retried.
///   - minWarm: How many runners to keep warm between calls (fal's `min_concurrency`, Modal's
///     `min_containers`): started after the first call, replaced when one ends, counted against
///     the machine's capacity and `maxConcurrency` like any runner, stopped with the engine.
@attached(body)
@attached(peer, names: named(_isolatedShipped))
public macro Isolated(
    requirements: [Requirement] = [],
    machineType: MachineType = "XS",
    keepAlive: Int = 10,
    // Never evaluated: the expansion turns each entry into its shipped declaration, so any
    // function or type may be written here, and an unmarked one fails there, with a message.
    uses: [Any] = [],
    maxConcurrency: Int? = nil,
    network: NetworkAccess = .enabled,
    timeout: Int? = nil,
    retries: Int = 0,
    minWarm: Int = 0
) = #externalMacro(module: "IsolatedMacros", type: "IsolatedMacro")

/// Memoizes the function inside each worker: its body runs once per distinct arguments for as
/// long as the worker lives, however many warm calls use it. Concurrent first calls run it
/// once; a thrown error is not memoized. List it in the `uses:` of the isolated functions that
/// call it. Its parameters must be `Hashable & Sendable`; it cannot be called outside a worker.
@attached(body)
@attached(peer, names: named(_isolatedShipped))
public macro Cached() = #externalMacro(module: "IsolatedMacros", type: "CachedMacro")

/// Ships a top-level function or type with the isolated functions whose `uses:` lists it, so
/// their bodies (and signatures) can use it. It is compiled in the worker as written.
@attached(peer, names: named(_isolatedShipped))
public macro Shippable() = #externalMacro(module: "IsolatedMacros", type: "ShippableMacro")
