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
@attached(body)
public macro Isolated(requirements: [Requirement] = [], machineType: MachineType = "XS", keepAlive: Int = 10) =
    #externalMacro(module: "IsolatedMacros", type: "IsolatedMacro")
