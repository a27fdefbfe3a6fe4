import SwiftDiagnostics
import SwiftSyntax

extension FunctionDeclSyntax {
    /// The function's name as the user reads it (without backticks).
    var displayName: String { name.identifier?.name ?? name.text }

    /// Whether this is a `static` or `class` member.
    var isStatic: Bool { modifiers.contains { [.keyword(.static), .keyword(.class)].contains($0.name.tokenKind) } }

    /// Every reason this function cannot carry `attribute` (`@Isolated` or `@Cached`, which ship it to a worker),
    /// each with a fix-it where the fix is mechanical.
    func shapeDiagnostics(attribute: String, lexicalContext: [Syntax]) -> [Diagnostic] {
        var diagnostics = placementDiagnostics(attribute: attribute, lexicalContext: lexicalContext)
        if body == nil {
            diagnostics.append(Diagnostic(node: name, message: IsolatedDiagnostic.missingBody(attribute: attribute, function: displayName)))
        }
        diagnostics += effectDiagnostics(attribute: attribute)
        if let generic = genericNode() {
            diagnostics.append(Diagnostic(node: generic, message: IsolatedDiagnostic.generic(attribute: attribute, function: displayName)))
        }
        for (index, parameter) in signature.parameterClause.parameters.enumerated() {
            diagnostics += parameterDiagnostics(parameter, index: index, attribute: attribute)
        }
        return diagnostics
    }

    /// The worker compiles the function at top level, so it cannot depend on an enclosing function or instance.
    private func placementDiagnostics(attribute: String, lexicalContext: [Syntax]) -> [Diagnostic] {
        let isNested = lexicalContext.contains {
            $0.isProtocol((any WithOptionalCodeBlockSyntax).self) || $0.is(ClosureExprSyntax.self)
                || $0.is(SubscriptDeclSyntax.self) || $0.is(PatternBindingSyntax.self)
        }
        if isNested {
            return [Diagnostic(node: name, message: IsolatedDiagnostic.nested(attribute: attribute, function: displayName))]
        }
        let isInType = lexicalContext.first?.isProtocol((any DeclGroupSyntax).self) ?? false
        guard isInType, !isStatic else {
            return []
        }
        // Insert `static ` between the keyword's leading trivia (newline, indentation) and `func` itself.
        let staticModifier = DeclModifierSyntax(
            name: .keyword(.static, leadingTrivia: funcKeyword.leadingTrivia, trailingTrivia: .space)
        )
        var changes: [FixIt.Change] = [.replace(oldNode: Syntax(modifiers), newNode: Syntax(modifiers + [staticModifier]))]
        if !funcKeyword.leadingTrivia.isEmpty {
            changes.append(.replaceLeadingTrivia(token: funcKeyword, newTrivia: []))
        }
        return [
            Diagnostic(
                node: funcKeyword,
                message: IsolatedDiagnostic.instanceMethod(attribute: attribute, function: displayName),
                fixIt: FixIt(message: IsolatedFixIt(message: "make '\(displayName)' static"), changes: changes)
            )
        ]
    }

    private func effectDiagnostics(attribute: String) -> [Diagnostic] {
        let effects = signature.effectSpecifiers
        let isAsync = effects?.asyncSpecifier?.tokenKind == .keyword(.async)
        let isThrowing = effects?.throwsClause?.throwsSpecifier.tokenKind == .keyword(.throws)
        // A call can fail in the engine (a crash, a compile error), so only errors that admit
        // IsolatedError may be typed.
        let typedError = effects?.throwsClause?.type?.trimmedDescription
        // A cached body's errors pass through the memo untyped, so @Cached takes no typed throws at all.
        let admissible =
            attribute == "@Cached"
            ? ["any Error", "Error"] : ["IsolatedError", "Isolated.IsolatedError", "Isolated::IsolatedError", "any Error", "Error"]
        let typedErrorFits = typedError.map { admissible.contains($0) } ?? true
        if isAsync && isThrowing && typedErrorFits {
            return []
        }
        let throwsClause =
            typedErrorFits
            ? (effects?.throwsClause ?? ThrowsClauseSyntax(throwsSpecifier: .keyword(.throws))).with(\.throwsSpecifier, .keyword(.throws)).trimmed
            : ThrowsClauseSyntax(throwsSpecifier: .keyword(.throws))
        var fixed = FunctionEffectSpecifiersSyntax(
            asyncSpecifier: .keyword(.async, trailingTrivia: .space),
            throwsClause: throwsClause
        )
        let fixIt: FixIt
        if let effects {
            fixed.leadingTrivia = effects.leadingTrivia
            fixed.trailingTrivia = effects.trailingTrivia
            // `reasync` or `rethrows` must be replaced; otherwise the missing effect is simply added.
            let isReplacing = effects.asyncSpecifier != nil && !isAsync || effects.throwsClause != nil && !isThrowing || !typedErrorFits
            let message = IsolatedFixIt(
                message: isReplacing
                    ? "replace '\(effects.trimmedDescription)' with '\(fixed.trimmedDescription)'"
                    : "add '\(isAsync ? "throws" : "async")'"
            )
            fixIt = .replace(message: message, oldNode: effects, newNode: fixed)
        } else {
            let message = IsolatedFixIt(message: "add 'async throws'")
            // Inserted after `)` and its trailing trivia; add a space only where there was none.
            let parenHasSpace = !signature.parameterClause.rightParen.trailingTrivia.isEmpty
            fixed.leadingTrivia = parenHasSpace ? [] : .space
            fixed.trailingTrivia = parenHasSpace ? .space : []
            fixIt = .replaceChild(message: message, parent: signature, replacingChildAt: \.effectSpecifiers, with: fixed)
        }
        return [
            Diagnostic(
                node: effects.map(Syntax.init) ?? Syntax(name),
                message: isAsync && isThrowing
                    ? IsolatedDiagnostic.typedThrows(attribute: attribute, function: displayName, errorType: typedError ?? "")
                    : IsolatedDiagnostic.notAsyncThrows(attribute: attribute, function: displayName),
                fixIt: fixIt
            )
        ]
    }

    /// The generic clause, `where` clause or first `some` type, whichever shows the function is generic.
    private func genericNode() -> Syntax? {
        if let genericParameterClause {
            return Syntax(genericParameterClause)
        }
        if let genericWhereClause {
            return Syntax(genericWhereClause)
        }
        let types = signature.parameterClause.parameters.map(\.type) + (signature.returnClause.map { [$0.type] } ?? [])
        for type in types {
            if let opaque = type.firstNode(of: SomeOrAnyTypeSyntax.self, where: { $0.someOrAnySpecifier.tokenKind == .keyword(.some) }) {
                return Syntax(opaque)
            }
        }
        return nil
    }

    private func parameterDiagnostics(_ parameter: FunctionParameterSyntax, index: Int, attribute: String) -> [Diagnostic] {
        let internalName = parameter.secondName ?? parameter.firstName
        let isUnnamed = internalName.tokenKind == .wildcard
        let reference = isUnnamed ? "parameter #\(index + 1)" : "parameter '\(internalName.identifier?.name ?? internalName.text)'"
        var diagnostics: [Diagnostic] = []
        if isUnnamed {
            let suggestion = "\(parameter.firstName.text) value: \(parameter.type.trimmedDescription)"
            let message = IsolatedDiagnostic.unnamedParameter(
                attribute: attribute,
                parameter: reference,
                function: displayName,
                suggestion: suggestion
            )
            diagnostics.append(Diagnostic(node: internalName, message: message))
        }
        if let attributed = parameter.type.as(AttributedTypeSyntax.self), let specifier = attributed.inoutSpecifier {
            let fixIt = FixIt.replace(
                message: IsolatedFixIt(message: "remove 'inout'"),
                oldNode: attributed,
                newNode: attributed.removing(specifier)
            )
            let message = IsolatedDiagnostic.inoutParameter(attribute: attribute, parameter: reference, function: displayName)
            diagnostics.append(Diagnostic(node: specifier, message: message, fixIt: fixIt))
        }
        if let closure = parameter.type.firstNode(of: FunctionTypeSyntax.self) {
            let message = IsolatedDiagnostic.closureParameter(attribute: attribute, parameter: reference, function: displayName)
            diagnostics.append(Diagnostic(node: closure, message: message))
        }
        if let ellipsis = parameter.ellipsis {
            let arrayType = ArrayTypeSyntax(element: parameter.type.trimmed).description
            var fixed = parameter.with(\.type, TypeSyntax(ArrayTypeSyntax(element: parameter.type.trimmed))).with(\.ellipsis, nil)
            fixed.leadingTrivia = parameter.leadingTrivia
            fixed.trailingTrivia = parameter.trailingTrivia
            let fixIt = FixIt.replace(
                message: IsolatedFixIt(message: "replace '\(parameter.type.trimmedDescription)...' with '\(arrayType)'"),
                oldNode: parameter,
                newNode: fixed
            )
            let message = IsolatedDiagnostic.variadicParameter(
                attribute: attribute,
                parameter: reference,
                function: displayName,
                arrayType: arrayType
            )
            diagnostics.append(Diagnostic(node: ellipsis, message: message, fixIt: fixIt))
        }
        return diagnostics
    }
}

extension AttributedTypeSyntax {
    /// The `inout` in `inout T`, if present.
    fileprivate var inoutSpecifier: TypeSpecifierListSyntax.Element? {
        specifiers.first { $0.as(SimpleTypeSpecifierSyntax.self)?.specifier.tokenKind == .keyword(.inout) }
    }

    /// This type without `specifier`, keeping the original leading and trailing trivia.
    fileprivate func removing(_ specifier: TypeSpecifierListSyntax.Element) -> TypeSyntax {
        var remaining = self
        remaining.specifiers = specifiers.filter { $0.id != specifier.id }
        var type = remaining.specifiers.isEmpty && attributes.isEmpty ? remaining.baseType : TypeSyntax(remaining)
        type.leadingTrivia = leadingTrivia
        type.trailingTrivia = trailingTrivia
        return type
    }
}
