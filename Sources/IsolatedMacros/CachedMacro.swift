import SwiftDiagnostics
public import SwiftSyntax
import SwiftSyntaxBuilder
public import SwiftSyntaxMacros

/// `@Cached`: memoizes a function inside each worker whose isolated function lists it in `uses:`, for as long as
/// the worker lives.
///
/// The function only runs in workers. Its peer `_isolatedShipped(name: ())` describes it as a shipped declaration
/// whose body is wrapped in `CachedFunctions.value(of:arguments:as:)`, keyed by the arguments; on the host its
/// body only throws.
public struct CachedMacro: BodyMacro, PeerMacro {
    private static let attribute = "@Cached"

    /// The expansions are laid out by hand (one labelled argument per line); automatic formatting would reflow them.
    public static var formatMode: FormatMode { .disabled }

    /// Replaces the body with a throw, or diagnoses why the function cannot be cached in a worker.
    public static func expansion(
        of node: AttributeSyntax,
        providingBodyFor declaration: some DeclSyntaxProtocol & WithOptionalCodeBlockSyntax,
        in context: some MacroExpansionContext
    ) throws -> [CodeBlockItemSyntax] {
        guard let function = declaration.as(FunctionDeclSyntax.self) else {
            context.diagnose(Diagnostic(node: node, message: IsolatedDiagnostic.notAFunction(attribute: attribute, kind: declaration.kindName)))
            return []
        }
        let diagnostics = function.shapeDiagnostics(attribute: attribute, lexicalContext: context.lexicalContext)
        guard diagnostics.isEmpty else {
            diagnostics.forEach(context.diagnose)
            return []
        }
        // Formatting is disabled, so the statement carries the body's indentation itself.
        return ["    throw Isolated::Shipping.cachedOutsideWorker(\(raw: ShippedPeer.literal(function.displayName)))"]
    }

    /// A closure has no name to list in `uses:`.
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
        guard let function = declaration.as(FunctionDeclSyntax.self), let body = function.body,
            function.shapeDiagnostics(attribute: attribute, lexicalContext: context.lexicalContext).isEmpty
        else {
            return []
        }
        // Only the body's braces are respelled, where they stand, so the body keeps its line numbers.
        let arguments = function.parameterNames.joined(separator: ", ")
        let result = function.resultType?.metatypeText ?? "Void.self"
        let memoized =
            "{ try await IsolatedRunner::CachedFunctions.value(of: \"\(function.displayName)\", arguments: [\(arguments)], as: \(result)) {"
        let source = function.shippedSource(
            removingAttributeNamed: node.attributeName.trimmedDescription,
            replacing: [body.leftBrace.id: memoized, body.rightBrace.id: "} }"]
        )
        let peer = ShippedPeer.declaration(
            modifiers: function.peerModifiers,
            label: function.name.argumentLabel,
            result: "Isolated::ShippedDeclaration",
            initializer: ".cached",
            arguments: [("name", ShippedPeer.literal(function.displayName)), ("source", ShippedPeer.literal(source.text))]
                + ShippedPeer.location(of: source.start, in: context)
        )
        return [peer]
    }
}
