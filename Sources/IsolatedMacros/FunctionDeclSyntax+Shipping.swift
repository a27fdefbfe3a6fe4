import SwiftSyntax

extension FunctionDeclSyntax {
    /// Modifiers that only mean something on a type member; the worker compiles the function at top level.
    private static let memberOnlyModifiers: [Keyword] = [.static, .class, .final, .override, .open]

    /// The declaration as the worker compiles it: a top-level function without the `@Isolated` attribute
    /// (named `attributeName`) and member-only modifiers, from its first remaining token to its last.
    /// The rest is byte-for-byte the user's and keeps its line breaks, so line N of the shipped text is line N
    /// after the returned start token in the user's file.
    func shippedSource(removingAttributeNamed attributeName: String) -> (text: String, start: TokenSyntax) {
        let removed = removedNodes(attributeName: attributeName)
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
            text += token.text
            gap = token.trailingTrivia.pieces
            gapHasRemovedTokens = false
        }
        // Every function declaration has a `func` keyword, which is never removed.
        return (text, start ?? funcKeyword)
    }

    private func removedNodes(attributeName: String) -> Set<SyntaxIdentifier> {
        let isolatedAttributes = attributes.compactMap { element -> SyntaxIdentifier? in
            guard case .attribute(let attribute) = element, attribute.attributeName.trimmedDescription == attributeName else {
                return nil
            }
            return attribute.id
        }
        let memberOnlyModifiers = modifiers.compactMap { modifier in
            Self.memberOnlyModifiers.contains { modifier.name.tokenKind == .keyword($0) } ? modifier.id : nil
        }
        return Set(isolatedAttributes + memberOnlyModifiers)
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
