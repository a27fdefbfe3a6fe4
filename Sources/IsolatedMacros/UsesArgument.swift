import SwiftDiagnostics
import SwiftSyntax

/// The `uses:` argument of `@Isolated`: for each declaration it lists, the expression that ships that declaration.
///
/// An entry is a name, never evaluated as written: `helper` becomes a call of `_isolatedShipped(helper: ())`, the peer
/// that `@Isolated`, `@Cached` or `@Shippable` gave `helper`, and `Type.helper` a call of `Type`'s peer. A name
/// without a peer reaches the Isolated module's fallback instead, which makes the compiler say how to mark it.
struct UsesArgument {
    /// `Shipping.declaration(...)` for each entry, in order.
    private(set) var declarations: [String] = []
    /// Why entries cannot be shipped.
    private(set) var diagnostics: [Diagnostic] = []

    init(_ expression: ExprSyntax, of function: FunctionDeclSyntax, lexicalContext: [Syntax]) {
        guard let array = expression.as(ArrayExprSyntax.self) else {
            diagnostics.append(Diagnostic(node: expression, message: IsolatedDiagnostic.usesNotArrayLiteral))
            return
        }
        let ownNames = Self.names(of: function, lexicalContext: lexicalContext)
        var listed: Set<String> = []
        for element in array.elements {
            guard let entry = Entry(element.expression) else {
                diagnostics.append(Diagnostic(node: element.expression, message: IsolatedDiagnostic.usesEntry))
                continue
            }
            let written = element.expression.trimmedDescription.unquoted
            if ownNames.contains(entry.key) {
                let fixIt = Self.removal(of: element, from: array, message: "remove '\(written)' from 'uses:'")
                let message = IsolatedDiagnostic.usesItself(function: function.displayName)
                diagnostics.append(Diagnostic(node: element.expression, message: message, fixIt: fixIt))
            } else if !listed.insert(entry.key).inserted {
                let fixIt = Self.removal(of: element, from: array, message: "remove the repeated '\(written)'")
                diagnostics.append(Diagnostic(node: element.expression, message: IsolatedDiagnostic.usesDuplicate(entry: written), fixIt: fixIt))
            } else {
                declarations.append("Isolated::Shipping.declaration(\(entry.peerCall))")
            }
        }
    }

    /// The keys of the entries that name `function` itself: its name, and for a static function also the name
    /// qualified by `Self` or by its type.
    private static func names(of function: FunctionDeclSyntax, lexicalContext: [Syntax]) -> Set<String> {
        var names = [function.displayName]
        if function.isStatic, let type = lexicalContext.first {
            let typeName =
                type.as(ExtensionDeclSyntax.self)?.extendedType.trimmedDescription
                ?? type.asProtocol((any NamedDeclSyntax).self)?.name.text
            names += ["Self", typeName].compactMap { $0.map { "\($0.unquoted).\(function.displayName)" } }
        }
        return Set(names)
    }

    /// A fix-it deleting `element` from `array`; when it is the last element, the one before loses its comma.
    private static func removal(of element: ArrayElementSyntax, from array: ArrayExprSyntax, message: String) -> FixIt {
        // Nothing, as a node: replacing with it deletes the replaced text, trivia included.
        let nothing = Syntax(ArrayElementListSyntax([]))
        var changes: [FixIt.Change] = [.replace(oldNode: Syntax(element), newNode: nothing)]
        let previous = array.elements.filter { $0.position < element.position }.last
        if element.trailingComma == nil, let comma = previous?.trailingComma {
            changes.append(.replace(oldNode: Syntax(comma), newNode: nothing))
        }
        return FixIt(message: IsolatedFixIt(message: message), changes: changes)
    }
}

extension UsesArgument {
    /// What one entry names: a declaration's peer label and, for a member, the type (or module) that declares it.
    private struct Entry {
        /// `Type` in `Type.helper`, `Module` in `Module.Model.self`; `nil` for an unqualified name.
        var qualifier: String?
        /// The declaration's name as the peer's argument label.
        var label: String

        /// The call of the declaration's peer.
        var peerCall: String { "\(qualifier.map { "\($0)." } ?? "")_isolatedShipped(\(label): ())" }

        /// The entry without backticks, to compare it with others.
        var key: String { ((qualifier.map { "\($0)." } ?? "") + label).unquoted }

        /// `helper`, `Model.self`, `Type.helper`, or `nil` for any other expression.
        init?(_ expression: ExprSyntax) {
            if let reference = expression.as(DeclReferenceExprSyntax.self) {
                guard reference.argumentNames == nil, case .identifier = reference.baseName.tokenKind else {
                    return nil
                }
                label = reference.baseName.argumentLabel
                return
            }
            guard let member = expression.as(MemberAccessExprSyntax.self), member.declName.argumentNames == nil,
                let path = member.base.flatMap(Self.path)
            else {
                return nil
            }
            switch member.declName.baseName.tokenKind {
            case .keyword(.self):
                // The type is the path's last name; anything before it (a module) qualifies its peer.
                guard case .identifier = path.last?.tokenKind, let type = path.last else {
                    return nil
                }
                label = type.argumentLabel
                qualifier = path.count > 1 ? path.dropLast().map(\.text).joined(separator: ".") : nil
            case .identifier:
                label = member.declName.baseName.argumentLabel
                qualifier = path.map(\.text).joined(separator: ".")
            default:
                return nil
            }
        }

        /// The names of `A.B.C` (a type or module path, possibly starting with `Self`), or `nil` if it is not one.
        private static func path(_ expression: ExprSyntax) -> [TokenSyntax]? {
            if let reference = expression.as(DeclReferenceExprSyntax.self), reference.argumentNames == nil {
                switch reference.baseName.tokenKind {
                case .identifier, .keyword(.Self): return [reference.baseName]
                default: return nil
                }
            }
            guard let member = expression.as(MemberAccessExprSyntax.self), member.declName.argumentNames == nil,
                case .identifier = member.declName.baseName.tokenKind, let base = member.base.flatMap(path)
            else {
                return nil
            }
            return base + [member.declName.baseName]
        }
    }
}

extension String {
    /// This name without backticks.
    fileprivate var unquoted: String { filter { $0 != "`" } }
}
