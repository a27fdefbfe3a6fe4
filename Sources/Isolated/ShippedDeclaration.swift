public import IsolatedCore

/// A declaration that travels with the isolated functions whose `uses:` lists it.
///
/// The `@Isolated`, `@Cached` and `@Shippable` macros make these; you list the declarations
/// themselves: `uses: [loadModel, Model.self]`.
public struct ShippedDeclaration: Sendable, Hashable {
    /// What the worker compiles.
    public var source: ShippedSource

    /// A `@Cached` function; `source` already memoizes its body.
    public static func cached(name: String, source: String, file: String, line: Int) -> ShippedDeclaration {
        ShippedDeclaration(source: ShippedSource(kind: .cached, name: name, source: source, file: file, line: line))
    }

    /// A function or type marked `@Shippable`, shipped as written.
    public static func shippable(name: String, source: String, file: String, line: Int) -> ShippedDeclaration {
        ShippedDeclaration(source: ShippedSource(kind: .shippable, name: name, source: source, file: file, line: line))
    }

    /// An isolated function: its worker-side stub, and how to call it.
    public static func isolated(_ function: IsolatedFunction) -> ShippedDeclaration {
        let template = CallTemplate(
            function: function.source,
            requirements: function.requirements,
            machineType: function.machineType,
            keepAlive: function.keepAlive,
            maxConcurrency: function.maxConcurrency,
            network: function.network
        )
        return ShippedDeclaration(
            source: ShippedSource(
                kind: .isolated,
                name: function.source.name,
                source: function.source.stub,
                file: function.source.file,
                line: function.source.line,
                call: template
            )
        )
    }
}
