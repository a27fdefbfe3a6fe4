import SwiftCompilerPlugin
import SwiftSyntaxMacros

/// The compiler plugin that provides the `@Isolated`, `@Cached` and `@Shippable` macros.
@main
struct IsolatedPlugin: CompilerPlugin {
    let providingMacros: [any Macro.Type] = [IsolatedMacro.self, CachedMacro.self, ShippableMacro.self]
}
