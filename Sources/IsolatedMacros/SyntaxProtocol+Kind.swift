import SwiftSyntax

extension SyntaxProtocol {
    /// This kind of declaration as a diagnostic names it: "initializer", "variable", "extension"...
    var kindName: String {
        switch kind {
        case .initializerDecl: "initializer"
        case .deinitializerDecl: "deinitializer"
        case .accessorDecl: "accessor"
        case .subscriptDecl: "subscript"
        case .variableDecl: "variable"
        case .enumCaseDecl: "enum case"
        case .extensionDecl: "extension"
        case .closureExpr: "closure"
        default: "declaration"
        }
    }
}
