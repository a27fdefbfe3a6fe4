import SwiftSyntax

extension SyntaxProtocol {
    /// This declaration as a worker compiles it: without the `removed` nodes, each token in `replacements` spelled
    /// as given there, from its first remaining token to its last. The rest is byte-for-byte the user's and keeps
    /// its line breaks, so line N of the shipped text is line N after the returned start in the user's file.
    func shippedText(
        removing removed: Set<SyntaxIdentifier>,
        replacing replacements: [SyntaxIdentifier: String] = [:]
    ) -> (text: String, start: Syntax) {
        var text = ""
        var start: TokenSyntax?
        // Trivia since the last kept token: its trailing trivia, then that of any removed tokens.
        var gap: [TriviaPiece] = []
        var gapHasRemovedTokens = false
        for token in tokens(viewMode: .sourceAccurate) {
            if token.ancestorOrSelf(mapping: { removed.contains($0.id) ? $0 : nil }) != nil {
                let lineBreaks = token.text.filter(\.isNewline).count
                gap += token.leadingTrivia.pieces + (lineBreaks > 0 ? [.newlines(lineBreaks)] : []) + token.trailingTrivia.pieces
                gapHasRemovedTokens = true
                continue
            }
            if start == nil {
                start = token
            } else {
                gap += token.leadingTrivia.pieces
                text += gapHasRemovedTokens ? Self.closingUp(gap) : Trivia(pieces: gap).description
            }
            text += replacements[token.id] ?? token.text
            gap = token.trailingTrivia.pieces
            gapHasRemovedTokens = false
        }
        // A declaration's keyword (`func`, `struct`...) is never removed, so `start` is only nil for an empty node.
        return (text, start.map(Syntax.init) ?? Syntax(self))
    }

    /// The trivia left where tokens were removed: every line break and comment is kept (so line numbers still
    /// match the user's file), each run of spaces shrinks to its first, and spaces before a line break go.
    private static func closingUp(_ gap: [TriviaPiece]) -> String {
        var pieces: [TriviaPiece] = []
        for piece in gap {
            if piece.isSpaceOrTab, pieces.last?.isSpaceOrTab == true {
                continue
            }
            if piece.isNewline, pieces.last?.isSpaceOrTab == true {
                pieces.removeLast()
            }
            pieces.append(piece)
        }
        // Two kept tokens must not run together.
        return pieces.isEmpty ? " " : Trivia(pieces: pieces).description
    }
}

extension WithAttributesSyntax {
    /// The attributes spelled `name` (as in `@name` or `@name(...)`): the macro's own, which is not shipped.
    func attributes(named name: String) -> [SyntaxIdentifier] {
        attributes.compactMap { element in
            guard case .attribute(let attribute) = element, attribute.attributeName.trimmedDescription == name else {
                return nil
            }
            return attribute.id
        }
    }
}

extension WithModifiersSyntax {
    /// The declaration's access level (`public`, `private`...), if written; `private(set)` and the like do not count.
    var accessLevel: Keyword? {
        let levels: [Keyword] = [.open, .public, .package, .internal, .fileprivate, .private]
        for modifier in modifiers where modifier.detail == nil {
            if case .keyword(let keyword) = modifier.name.tokenKind, levels.contains(keyword) {
                return keyword
            }
        }
        return nil
    }
}
