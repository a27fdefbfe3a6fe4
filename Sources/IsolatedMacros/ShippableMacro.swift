import SwiftDiagnostics
public import SwiftSyntax
public import SwiftSyntaxMacros

/// `@Shippable`: ships a top-level function or type, compiled as written, into the workers of the isolated functions
/// whose `uses:` lists it.
///
/// Its peer `_isolatedShipped(name: ())` describes the declaration as a shipped declaration: its text without the
/// attribute and the source location the worker reports errors against.
public struct ShippableMacro: PeerMacro {
    /// The declarations a worker can compile at its top level.
    private static let shippableKinds: [SyntaxKind] = [
        .functionDecl, .structDecl, .enumDecl, .classDecl, .actorDecl, .protocolDecl, .typeAliasDecl,
    ]

    /// The expansion is laid out by hand (one labelled argument per line); automatic formatting would reflow it.
    public static var formatMode: FormatMode { .disabled }

    /// Declares the peer that describes `declaration`, or diagnoses why it cannot be shipped.
    public static func expansion(
        of node: AttributeSyntax,
        providingPeersOf declaration: some DeclSyntaxProtocol,
        in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        guard shippableKinds.contains(declaration.kind), let named = declaration.asProtocol((any NamedDeclSyntax).self),
            let attributed = declaration.asProtocol((any WithAttributesSyntax).self),
            let modified = declaration.asProtocol((any WithModifiersSyntax).self)
        else {
            context.diagnose(Diagnostic(node: node, message: IsolatedDiagnostic.shippableKind(kind: declaration.kindName)))
            return []
        }
        let name = named.name.identifier?.name ?? named.name.text
        // The worker compiles it at its top level, outside any type or function that encloses it here.
        guard context.lexicalContext.isEmpty else {
            context.diagnose(Diagnostic(node: named.name, message: IsolatedDiagnostic.shippableNested(name: name)))
            return []
        }
        let source = attributed.shippedText(removing: Set(attributed.attributes(named: node.attributeName.trimmedDescription)))
        // As visible as the declaration, so that every function that can name it in `uses:` can ship it.
        let access =
            switch modified.accessLevel {
            case .private?, .fileprivate?: "fileprivate "
            case .public?, .open?: "public "
            case .package?: "package "
            default: ""
            }
        let peer = ShippedPeer.declaration(
            modifiers: access,
            label: named.name.argumentLabel,
            result: "Isolated::ShippedDeclaration",
            initializer: ".shippable",
            arguments: [("name", ShippedPeer.literal(name)), ("source", ShippedPeer.literal(source.text))]
                + ShippedPeer.location(of: source.start, in: context)
        )
        return [peer]
    }
}
