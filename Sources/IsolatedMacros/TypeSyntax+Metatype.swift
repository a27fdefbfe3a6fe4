import SwiftSyntax

extension TypeSyntax {
    /// The type as a value: ownership specifiers such as `sending` or `borrowing` describe the parameter,
    /// not the type, so they are dropped where the type is named in an expression.
    var valueType: TypeSyntax {
        guard let attributed = self.as(AttributedTypeSyntax.self), attributed.attributes.isEmpty else {
            return self
        }
        return attributed.baseType
    }

    /// `T.self` for this type, parenthesised when `T` is not a plain name, member, array, dictionary or optional
    /// (a tuple, `any P`, a function type...) so that `.self` applies to the whole type.
    var metatypeText: String {
        let type = valueType.trimmed
        let isPlain =
            type.is(IdentifierTypeSyntax.self) || type.is(MemberTypeSyntax.self) || type.is(ArrayTypeSyntax.self)
            || type.is(DictionaryTypeSyntax.self) || type.is(OptionalTypeSyntax.self)
        return isPlain ? "\(type.description).self" : "(\(type.description)).self"
    }

    /// Whether this is `Void`, `Swift.Void` or `()`: such a function has no result to send back.
    var isVoid: Bool {
        if let tuple = self.as(TupleTypeSyntax.self) {
            return tuple.elements.isEmpty
        }
        return ["Void", "Swift.Void"].contains(trimmedDescription)
    }
}
