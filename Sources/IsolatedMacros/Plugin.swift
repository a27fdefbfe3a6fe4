import SwiftCompilerPlugin
import SwiftSyntaxMacros

/// The compiler plugin that provides the `@Isolated` macro.
@main
struct IsolatedPlugin: CompilerPlugin {
    let providingMacros: [any Macro.Type] = [IsolatedMacro.self]
}
