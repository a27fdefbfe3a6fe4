/// What a worker is compiled from: the function, what it ships and the requirements of its
/// environment. A call's settings (machine type, keep-alive, concurrency, network, the settings
/// of the isolated functions it calls) are not part of it: they travel with each call, so
/// changing them compiles nothing.
package struct FunctionVersion: Sendable, Hashable {
    /// The function, its shipped declarations without their call templates.
    package var function: FunctionSource
    /// The packages its environment is built from.
    package var requirements: [Requirement]

    /// The version `template` runs.
    package init(_ template: CallTemplate) {
        var function = template.function
        function.dependencies = function.dependencies.map { dependency in
            var dependency = dependency
            dependency.call = nil
            return dependency
        }
        self.function = function
        self.requirements = template.requirements
    }

    /// Hashes what tells versions apart cheaply, not the texts: the engine looks a version up on
    /// every call, and equal versions still compare whole.
    package func hash(into hasher: inout Hasher) {
        hasher.combine(function.name)
        hasher.combine(function.file)
        hasher.combine(function.line)
        hasher.combine(function.source.utf8.count)
        hasher.combine(function.dependencies.count)
        hasher.combine(requirements)
    }
}

extension CallTemplate {
    /// The settings of the isolated function this call's worker ships as `name`: its own for a
    /// recursive call, else those its caller was called with; nil when it ships no such function.
    package func nestedCall(_ name: String) -> CallTemplate? {
        if name == function.name, !function.stub.isEmpty { return self }
        return function.dependencies.first { $0.kind == .isolated && $0.name == name }?.call
    }
}
