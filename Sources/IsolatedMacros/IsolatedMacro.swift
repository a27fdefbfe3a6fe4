import SwiftDiagnostics
public import SwiftSyntax
import SwiftSyntaxBuilder
public import SwiftSyntaxMacros

/// `@Isolated`: ships a function's source to a worker process and runs every call there.
///
/// The peer `_isolatedShipped(name: ())` describes the function as an `IsolatedFunction`: the declaration's text
/// (never type-checked on the host, so it may use modules only the worker has), an entry point that decodes the
/// arguments and calls it, a stub through which functions in other workers call it, the source location the worker
/// reports errors against, the attribute's settings and the declarations its `uses:` lists. The new body calls
/// the function through that peer.
public struct IsolatedMacro: BodyMacro, PeerMacro {
    private static let attribute = "@Isolated"

    /// The expansions are laid out by hand (one labelled argument per line); automatic formatting would reflow them.
    public static var formatMode: FormatMode { .disabled }

    /// Builds the new body of the function `declaration`, or diagnoses why it cannot be isolated.
    public static func expansion(
        of node: AttributeSyntax,
        providingBodyFor declaration: some DeclSyntaxProtocol & WithOptionalCodeBlockSyntax,
        in context: some MacroExpansionContext
    ) throws -> [CodeBlockItemSyntax] {
        guard let function = declaration.as(FunctionDeclSyntax.self) else {
            context.diagnose(Diagnostic(node: node, message: IsolatedDiagnostic.notAFunction(attribute: attribute, kind: declaration.kindName)))
            return []
        }
        let diagnostics =
            function.shapeDiagnostics(attribute: attribute, lexicalContext: context.lexicalContext)
            + (uses(of: node, function: function, in: context)?.diagnostics ?? [])
        guard diagnostics.isEmpty else {
            diagnostics.forEach(context.diagnose)
            return []
        }
        // Formatting is disabled, so the statement carries the body's indentation itself.
        return ["    try await _isolatedShipped(\(raw: function.name.argumentLabel): ()).call(\(raw: function.callArguments))"]
    }

    /// A body macro cannot isolate a closure: only a named function can be shipped and called by name.
    public static func expansion(
        of node: AttributeSyntax,
        providingBodyFor closure: ClosureExprSyntax,
        in context: some MacroExpansionContext
    ) throws -> [CodeBlockItemSyntax] {
        context.diagnose(Diagnostic(node: node, message: IsolatedDiagnostic.notAFunction(attribute: attribute, kind: closure.kindName)))
        return []
    }

    /// Declares the peer that describes the function `declaration`; the body expansion diagnoses what prevents it.
    public static func expansion(
        of node: AttributeSyntax,
        providingPeersOf declaration: some DeclSyntaxProtocol,
        in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        // On another declaration, the body expansion or the compiler itself (a body macro cannot be attached to a
        // variable or a type) reports the problem.
        guard let function = declaration.as(FunctionDeclSyntax.self) else {
            return []
        }
        let uses = uses(of: node, function: function, in: context)
        guard function.shapeDiagnostics(attribute: attribute, lexicalContext: context.lexicalContext).isEmpty,
            uses?.diagnostics.isEmpty ?? true
        else {
            return []
        }
        // Renamed in the worker, so that a call by the function's own name there (a recursive one included)
        // reaches its stub and becomes a nested isolated call.
        let bodyName = "_isolatedBody_\(function.displayName)".escapedIfRaw
        let attributeName = node.attributeName.trimmedDescription
        let source = function.shippedSource(removingAttributeNamed: attributeName, replacing: [function.name.id: bodyName])
        let signature = function.shippedSource(removingAttributeNamed: attributeName, signatureOnly: true).text
        let nestedCall = "try await IsolatedRunner::NestedFunction.named(\"\(function.displayName)\").call(\(function.callArguments))"
        var arguments = [
            ("name", ShippedPeer.literal(function.displayName)),
            ("source", ShippedPeer.literal(source.text)),
            ("entry", ShippedPeer.literal(entry(for: function, calling: bodyName))),
            ("stub", ShippedPeer.literal("\(signature) {\n    \(nestedCall)\n}")),
        ]
        arguments += ShippedPeer.location(of: source.start, in: context)
        // The attribute's arguments are evaluated at run time on the host; omitted ones take the initializer's
        // defaults. Only `uses:` is rewritten: it names declarations, each shipped through its peer.
        let shippedUses = "[\(uses?.declarations.joined(separator: ", ") ?? "")]"
        for argument in node.arguments?.as(LabeledExprListSyntax.self) ?? [] {
            guard let label = argument.label?.text else {
                continue
            }
            arguments.append((label, label == "uses" ? shippedUses : argument.expression.trimmedDescription))
        }
        let peer = ShippedPeer.declaration(
            modifiers: function.peerModifiers,
            label: function.name.argumentLabel,
            result: "Isolated::IsolatedFunction",
            initializer: "Isolated::IsolatedFunction",
            arguments: arguments
        )
        return [peer]
    }

    /// The attribute's `uses:` argument, if it has one.
    private static func uses(
        of node: AttributeSyntax,
        function: FunctionDeclSyntax,
        in context: some MacroExpansionContext
    ) -> UsesArgument? {
        let argument = node.arguments?.as(LabeledExprListSyntax.self)?.first { $0.label?.text == "uses" }
        return argument.map { UsesArgument($0.expression, of: function, lexicalContext: context.lexicalContext) }
    }

    /// The statements the worker runs with `invocation` in scope: decode each argument, call the function by its
    /// shipped name `name`, encode the result.
    private static func entry(for function: FunctionDeclSyntax, calling name: String) -> String {
        let arguments = function.signature.parameterClause.parameters.enumerated().map { index, parameter in
            let label = parameter.firstName.tokenKind == .wildcard ? "" : "\(parameter.firstName.text): "
            return "\(label)invocation.argument(\(index), as: \(parameter.type.metatypeText))"
        }
        let call = "\(name)(\(arguments.joined(separator: ", ")))"
        return if function.resultType != nil {
            "return try await invocation.result(\(call))"
        } else {
            "try await \(call)\nreturn invocation.void()"
        }
    }
}
