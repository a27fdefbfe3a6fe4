import SwiftSyntax

extension TokenSyntax {
    /// This name as an argument label, such as a peer's. Labels may be keywords, so only `inout`, `var`, `let` and
    /// raw identifiers (`` `two words` ``) keep their backticks; on any other name they would draw a warning.
    var argumentLabel: String {
        guard let name = identifier?.name else {
            return text
        }
        return ["inout", "var", "let"].contains(name) ? "`\(name)`" : name.escapedIfRaw
    }
}

extension String {
    /// This identifier as code: in backticks if it is a raw identifier, one that is not only letters, digits and
    /// underscores.
    var escapedIfRaw: String {
        let isPlain = (first.map { $0.isLetter || $0 == "_" } ?? false) && allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
        return isPlain ? self : "`\(self)`"
    }
}
