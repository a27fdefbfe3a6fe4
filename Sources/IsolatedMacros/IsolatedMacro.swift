import SwiftDiagnostics
public import SwiftSyntax
import SwiftSyntaxBuilder
public import SwiftSyntaxMacros

/// `@Isolated`: replaces a function's body with a call that ships the function's source to a worker process
/// and runs it there.
///
/// The original body is never type-checked on the host (it may use modules only the worker has); the macro
/// sends the declaration's text, an entry point that decodes the arguments and calls the function, and the
/// source location the worker reports errors against.
public struct IsolatedMacro: BodyMacro {
    /// The expansion is laid out by hand (one labelled argument per line); automatic formatting would reflow it.
    public static var formatMode: FormatMode { .disabled }

    /// Builds the new body of the function `declaration`, or diagnoses why it cannot be isolated.
    public static func expansion(
        of node: AttributeSyntax,
        providingBodyFor declaration: some DeclSyntaxProtocol & WithOptionalCodeBlockSyntax,
        in context: some MacroExpansionContext
    ) throws -> [CodeBlockItemSyntax] {
        guard let function = declaration.as(FunctionDeclSyntax.self) else {
            let kind =
                switch Syntax(declaration).kind {
                case .initializerDecl: "initializer"
                case .deinitializerDecl: "deinitializer"
                case .accessorDecl: "accessor"
                default: "declaration"
                }
            context.diagnose(Diagnostic(node: node, message: IsolatedDiagnostic.notAFunction(kind: kind)))
            return []
        }
        let diagnostics = function.isolatedDiagnostics(lexicalContext: context.lexicalContext)
        guard diagnostics.isEmpty else {
            diagnostics.forEach(context.diagnose)
            return []
        }
        let shipped = function.shippedSource(removingAttributeNamed: node.attributeName.trimmedDescription)
        let location = context.location(of: shipped.start, at: .afterLeadingTrivia, filePathMode: .filePath)
        let arguments = [
            ("name", StringLiteralExprSyntax(content: function.displayName).description),
            ("source", StringLiteralExprSyntax(content: shipped.text).description),
            ("entry", StringLiteralExprSyntax(content: entry(for: function)).description),
            ("file", location?.file.trimmedDescription ?? "#filePath"),
            ("line", location?.line.trimmedDescription ?? "#line"),
        ]
        // The attribute's arguments are evaluated at run time on the host; omitted ones take the initializer's defaults.
        let settings = node.arguments?.as(LabeledExprListSyntax.self)?.compactMap { argument in
            argument.label.map { ($0.text, argument.expression.trimmedDescription) }
        }
        let labelled = (arguments + (settings ?? [])).map { "    \($0): \($1)" }.joined(separator: ",\n")
        let statement = "try await IsolatedFunction(\n\(labelled)\n)\n.call(\(callArguments(for: function)))"
        // Formatting is disabled, so the statement carries the body's indentation itself.
        let indented = statement.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : "    \($0)" }
            .joined(separator: "\n")
        return ["\(raw: indented)"]
    }

    /// A body macro cannot isolate a closure: only a named function can be shipped and called by name.
    public static func expansion(
        of node: AttributeSyntax,
        providingBodyFor closure: ClosureExprSyntax,
        in context: some MacroExpansionContext
    ) throws -> [CodeBlockItemSyntax] {
        context.diagnose(Diagnostic(node: node, message: IsolatedDiagnostic.notAFunction(kind: "closure")))
        return []
    }

    /// The statements the worker runs with `invocation` in scope: decode each argument, call, encode the result.
    private static func entry(for function: FunctionDeclSyntax) -> String {
        let arguments = function.signature.parameterClause.parameters.enumerated().map { index, parameter in
            let label = parameter.firstName.tokenKind == .wildcard ? "" : "\(parameter.firstName.text): "
            return "\(label)invocation.argument(\(index), as: \(parameter.type.metatypeText))"
        }
        let call = "\(function.name.text)(\(arguments.joined(separator: ", ")))"
        return if function.resultType != nil {
            "return try await invocation.result(\(call))"
        } else {
            "try await \(call)\nreturn invocation.void()"
        }
    }

    /// The host-side arguments of `.call`: the parameters by internal name, then the result type if any.
    private static func callArguments(for function: FunctionDeclSyntax) -> String {
        var arguments = function.signature.parameterClause.parameters.map { ($0.secondName ?? $0.firstName).text }
        if let result = function.resultType {
            arguments.append("returning: \(result.metatypeText)")
        }
        return arguments.joined(separator: ", ")
    }
}

extension FunctionDeclSyntax {
    /// The type of the value the worker sends back; `nil` when the function returns nothing (`Void` or `()`).
    fileprivate var resultType: TypeSyntax? {
        signature.returnClause.map(\.type).flatMap { $0.isVoid ? nil : $0 }
    }
}
