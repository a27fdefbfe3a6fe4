import SwiftSyntax

extension FunctionDeclSyntax {
    /// Modifiers that only mean something on a type member; the worker compiles the function at top level.
    private static let memberOnlyModifiers: [Keyword] = [.static, .class, .final, .override, .open]

    /// The declaration as the worker compiles it (see `shippedText`): a top-level function without the attribute
    /// named `attributeName` (the macro's own) and member-only modifiers, with `replacements` applied; only its
    /// signature if `signatureOnly`.
    func shippedSource(
        removingAttributeNamed attributeName: String,
        replacing replacements: [SyntaxIdentifier: String] = [:],
        signatureOnly: Bool = false
    ) -> (text: String, start: Syntax) {
        let memberOnlyModifiers = modifiers.compactMap { modifier in
            Self.memberOnlyModifiers.contains { modifier.name.tokenKind == .keyword($0) } ? modifier.id : nil
        }
        let removedBody = signatureOnly ? body.map { [$0.id] } ?? [] : []
        return shippedText(removing: Set(attributes(named: attributeName) + memberOnlyModifiers + removedBody), replacing: replacements)
    }

    /// The type of the value the worker sends back; `nil` when the function returns nothing (`Void` or `()`).
    var resultType: TypeSyntax? {
        signature.returnClause.map(\.type).flatMap { $0.isVoid ? nil : $0 }
    }

    /// The parameters' internal names, as the body refers to them.
    var parameterNames: [String] {
        signature.parameterClause.parameters.map { ($0.secondName ?? $0.firstName).text }
    }

    /// The arguments of a `.call` that forwards this function's call: the parameters, then the result type if any.
    var callArguments: String {
        (parameterNames + (resultType.map { ["returning: \($0.metatypeText)"] } ?? [])).joined(separator: ", ")
    }

    /// The modifiers of a peer declared beside this function: its access level (`public` for `open`, which only
    /// a class member can be) and `static` for a type member.
    var peerModifiers: String {
        let access =
            switch accessLevel {
            case nil, .internal: ""
            case .open: "public "
            case let level?: "\(TokenSyntax.keyword(level).text) "
            }
        return access + (isStatic ? "static " : "")
    }
}
