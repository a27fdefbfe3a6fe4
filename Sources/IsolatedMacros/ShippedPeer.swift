import SwiftSyntax
import SwiftSyntaxBuilder
import SwiftSyntaxMacros

/// The peer each marking macro declares beside its declaration, `_isolatedShipped(name _: Void)`: a `uses:` entry
/// naming the declaration calls it, as `_isolatedShipped(name: ())`, to ship the declaration.
enum ShippedPeer {
    /// The peer, returning `result` made by `initializer` from `arguments`, one labelled argument per line.
    static func declaration(
        modifiers: String,
        label: String,
        result: String,
        initializer: String,
        arguments: [(String, String)]
    ) -> DeclSyntax {
        let lines = arguments.map { "        \($0): \($1)" }.joined(separator: ",\n")
        return "\(raw: modifiers)func _isolatedShipped(\(raw: label) _: Void) -> \(raw: result) {\n    \(raw: initializer)(\n\(raw: lines)\n    )\n}"
    }

    /// The `file` and `line` arguments: where the shipped text starts, which the worker reports errors against.
    static func location(of start: Syntax, in context: some MacroExpansionContext) -> [(String, String)] {
        let location = context.location(of: start, at: .afterLeadingTrivia, filePathMode: .filePath)
        return [("file", location?.file.trimmedDescription ?? "#filePath"), ("line", location?.line.trimmedDescription ?? "#line")]
    }

    /// `text` as a Swift string literal.
    static func literal(_ text: String) -> String {
        StringLiteralExprSyntax(content: text).description
    }
}
