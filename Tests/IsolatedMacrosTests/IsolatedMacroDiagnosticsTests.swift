import IsolatedMacros
import MacroTesting
import Testing

@Suite("@Isolated diagnostics", .macros(["Isolated": IsolatedMacro.self]))
struct IsolatedMacroDiagnosticsTests {
    @Test("A function that is neither async nor throws gets both effects added")
    func notAsyncThrows() {
        assertMacro {
            """
            @Isolated
            func square(_ value: Int) -> Int {
                value * value
            }
            """
        } diagnostics: {
            """
            @Isolated
            func square(_ value: Int) -> Int {
                 ┬─────
                 ╰─ 🛑 @Isolated function 'square' must be 'async throws': every call crosses a process boundary and can fail
                    ✏️ add 'async throws'
                value * value
            }
            """
        } fixes: {
            """
            @Isolated
            func square(_ value: Int) async throws -> Int {
                value * value
            }
            """
        } expansion: {
            ##"""
            func square(_ value: Int) async throws -> Int {
                try await _isolatedShipped(square: ()).call(value, returning: Int.self)
            }

            func _isolatedShipped(square _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "square",
                    source: "func _isolatedBody_square(_ value: Int) async throws -> Int {\n    value * value\n}",
                    entry: "return try await invocation.result(_isolatedBody_square(invocation.argument(0, as: Int.self)))",
                    stub: #"func square(_ value: Int) async throws -> Int {\#n    try await IsolatedRunner::NestedFunction.named("square").call(value, returning: Int.self)\#n}"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            """##
        }
    }

    @Test("A function that is only async gets 'throws' added")
    func onlyAsync() {
        assertMacro {
            """
            @Isolated
            func square(_ value: Int) async -> Int {
                value * value
            }
            """
        } diagnostics: {
            """
            @Isolated
            func square(_ value: Int) async -> Int {
                                      ┬────
                                      ╰─ 🛑 @Isolated function 'square' must be 'async throws': every call crosses a process boundary and can fail
                                         ✏️ add 'throws'
                value * value
            }
            """
        } fixes: {
            """
            @Isolated
            func square(_ value: Int) async throws -> Int {
                value * value
            }
            """
        } expansion: {
            ##"""
            func square(_ value: Int) async throws -> Int {
                try await _isolatedShipped(square: ()).call(value, returning: Int.self)
            }

            func _isolatedShipped(square _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "square",
                    source: "func _isolatedBody_square(_ value: Int) async throws -> Int {\n    value * value\n}",
                    entry: "return try await invocation.result(_isolatedBody_square(invocation.argument(0, as: Int.self)))",
                    stub: #"func square(_ value: Int) async throws -> Int {\#n    try await IsolatedRunner::NestedFunction.named("square").call(value, returning: Int.self)\#n}"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            """##
        }
    }

    @Test("A typed-throws function that is not async becomes plain 'async throws'")
    func typedThrowsNotAsync() {
        assertMacro {
            """
            @Isolated
            func square(_ value: Int) throws(MathError) -> Int {
                value * value
            }
            """
        } diagnostics: {
            """
            @Isolated
            func square(_ value: Int) throws(MathError) -> Int {
                                      ┬────────────────
                                      ╰─ 🛑 @Isolated function 'square' must be 'async throws': every call crosses a process boundary and can fail
                                         ✏️ replace 'throws(MathError)' with 'async throws'
                value * value
            }
            """
        } fixes: {
            """
            @Isolated
            func square(_ value: Int) async throws -> Int {
                value * value
            }
            """
        } expansion: {
            ##"""
            func square(_ value: Int) async throws -> Int {
                try await _isolatedShipped(square: ()).call(value, returning: Int.self)
            }

            func _isolatedShipped(square _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "square",
                    source: "func _isolatedBody_square(_ value: Int) async throws -> Int {\n    value * value\n}",
                    entry: "return try await invocation.result(_isolatedBody_square(invocation.argument(0, as: Int.self)))",
                    stub: #"func square(_ value: Int) async throws -> Int {\#n    try await IsolatedRunner::NestedFunction.named("square").call(value, returning: Int.self)\#n}"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            """##
        }
    }

    @Test("Typed throws of the function's own error type is an error: calls also fail in the engine")
    func typedThrowsOfOwnError() {
        assertMacro {
            """
            @Isolated
            func parse(_ text: String) async throws(ParseError) -> Int {
                text.count
            }
            """
        } diagnostics: {
            """
            @Isolated
            func parse(_ text: String) async throws(ParseError) -> Int {
                                       ┬───────────────────────
                                       ╰─ 🛑 @Isolated function 'parse' cannot throw only 'ParseError': a call can also fail in the engine (a crash, a compile error), so it throws IsolatedError; the function's own error arrives inside it
                                          ✏️ replace 'async throws(ParseError)' with 'async throws'
                text.count
            }
            """
        } fixes: {
            """
            @Isolated
            func parse(_ text: String) async throws -> Int {
                text.count
            }
            """
        } expansion: {
            ##"""
            func parse(_ text: String) async throws -> Int {
                try await _isolatedShipped(parse: ()).call(text, returning: Int.self)
            }

            func _isolatedShipped(parse _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "parse",
                    source: "func _isolatedBody_parse(_ text: String) async throws -> Int {\n    text.count\n}",
                    entry: "return try await invocation.result(_isolatedBody_parse(invocation.argument(0, as: String.self)))",
                    stub: #"func parse(_ text: String) async throws -> Int {\#n    try await IsolatedRunner::NestedFunction.named("parse").call(text, returning: Int.self)\#n}"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            """##
        }
    }

    @Test("'rethrows' does not count as throwing")
    func rethrowsIsNotThrows() {
        assertMacro {
            """
            @Isolated
            func run() async rethrows {
                print("run")
            }
            """
        } diagnostics: {
            """
            @Isolated
            func run() async rethrows {
                       ┬─────────────
                       ╰─ 🛑 @Isolated function 'run' must be 'async throws': every call crosses a process boundary and can fail
                          ✏️ replace 'async rethrows' with 'async throws'
                print("run")
            }
            """
        } fixes: {
            """
            @Isolated
            func run() async throws {
                print("run")
            }
            """
        } expansion: {
            ##"""
            func run() async throws {
                try await _isolatedShipped(run: ()).call()
            }

            func _isolatedShipped(run _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "run",
                    source: #"func _isolatedBody_run() async throws {\#n    print("run")\#n}"#,
                    entry: "try await _isolatedBody_run()\nreturn invocation.void()",
                    stub: #"func run() async throws {\#n    try await IsolatedRunner::NestedFunction.named("run").call()\#n}"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            """##
        }
    }

    @Test("Generic parameter clauses, where clauses and opaque types are rejected")
    func generic() {
        assertMacro {
            """
            @Isolated
            func first<T: Codable>(_ values: [T]) async throws -> T? {
                values.first
            }

            @Isolated
            func sorted(_ values: [Int]) async throws -> [Int] where Int: Comparable {
                values.sorted()
            }

            @Isolated
            func encode(_ value: some Codable) async throws -> Int {
                0
            }

            @Isolated
            func make() async throws -> [some Codable] {
                [1]
            }
            """
        } diagnostics: {
            """
            @Isolated
            func first<T: Codable>(_ values: [T]) async throws -> T? {
                      ┬───────────
                      ╰─ 🛑 @Isolated function 'first' cannot be generic: its parameter and result types must be concrete Codable & Sendable types the worker can decode
                values.first
            }

            @Isolated
            func sorted(_ values: [Int]) async throws -> [Int] where Int: Comparable {
                                                               ┬────────────────────
                                                               ╰─ 🛑 @Isolated function 'sorted' cannot be generic: its parameter and result types must be concrete Codable & Sendable types the worker can decode
                values.sorted()
            }

            @Isolated
            func encode(_ value: some Codable) async throws -> Int {
                                 ┬───────────
                                 ╰─ 🛑 @Isolated function 'encode' cannot be generic: its parameter and result types must be concrete Codable & Sendable types the worker can decode
                0
            }

            @Isolated
            func make() async throws -> [some Codable] {
                                         ┬───────────
                                         ╰─ 🛑 @Isolated function 'make' cannot be generic: its parameter and result types must be concrete Codable & Sendable types the worker can decode
                [1]
            }
            """
        }
    }

    @Test("An inout parameter is rejected with a fix-it removing 'inout'")
    func inoutParameter() {
        assertMacro {
            """
            @Isolated
            func bump(_ counter: inout Int, by step: Int) async throws {
                counter += step
            }
            """
        } diagnostics: {
            """
            @Isolated
            func bump(_ counter: inout Int, by step: Int) async throws {
                                 ┬────
                                 ╰─ 🛑 parameter 'counter' of @Isolated function 'bump' cannot be 'inout': arguments are copied to another process; return the new value instead
                                    ✏️ remove 'inout'
                counter += step
            }
            """
        } fixes: {
            """
            @Isolated
            func bump(_ counter: Int, by step: Int) async throws {
                counter += step
            }
            """
        } expansion: {
            ##"""
            func bump(_ counter: Int, by step: Int) async throws {
                try await _isolatedShipped(bump: ()).call(counter, step)
            }

            func _isolatedShipped(bump _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "bump",
                    source: "func _isolatedBody_bump(_ counter: Int, by step: Int) async throws {\n    counter += step\n}",
                    entry: "try await _isolatedBody_bump(invocation.argument(0, as: Int.self), by: invocation.argument(1, as: Int.self))\nreturn invocation.void()",
                    stub: #"func bump(_ counter: Int, by step: Int) async throws {\#n    try await IsolatedRunner::NestedFunction.named("bump").call(counter, step)\#n}"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            """##
        }
    }

    @Test("Closure parameters are rejected, however they are wrapped")
    func closureParameters() {
        assertMacro {
            """
            @Isolated
            func apply(
                _ transform: @escaping @Sendable (Int) -> Int,
                completion: (() -> Void)?,
                plain: (String) throws -> Void
            ) async throws {
            }
            """
        } diagnostics: {
            """
            @Isolated
            func apply(
                _ transform: @escaping @Sendable (Int) -> Int,
                                                 ┬───────────
                                                 ╰─ 🛑 parameter 'transform' of @Isolated function 'apply' is a closure, which cannot be sent to another process; pass Codable data instead
                completion: (() -> Void)?,
                             ┬─────────
                             ╰─ 🛑 parameter 'completion' of @Isolated function 'apply' is a closure, which cannot be sent to another process; pass Codable data instead
                plain: (String) throws -> Void
                       ┬──────────────────────
                       ╰─ 🛑 parameter 'plain' of @Isolated function 'apply' is a closure, which cannot be sent to another process; pass Codable data instead
            ) async throws {
            }
            """
        }
    }

    @Test("A variadic parameter is rejected with a fix-it turning it into an array")
    func variadicParameter() {
        assertMacro {
            """
            @Isolated
            func total(_ values: Int..., scale: Double) async throws -> Double {
                Double(values.reduce(0, +)) * scale
            }
            """
        } diagnostics: {
            """
            @Isolated
            func total(_ values: Int..., scale: Double) async throws -> Double {
                                    ┬──
                                    ╰─ 🛑 parameter 'values' of @Isolated function 'total' cannot be variadic: its arguments are sent as one array; take '[Int]' instead
                                       ✏️ replace 'Int...' with '[Int]'
                Double(values.reduce(0, +)) * scale
            }
            """
        } fixes: {
            """
            @Isolated
            func total(_ values: [Int], scale: Double) async throws -> Double {
                Double(values.reduce(0, +)) * scale
            }
            """
        } expansion: {
            ##"""
            func total(_ values: [Int], scale: Double) async throws -> Double {
                try await _isolatedShipped(total: ()).call(values, scale, returning: Double.self)
            }

            func _isolatedShipped(total _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "total",
                    source: "func _isolatedBody_total(_ values: [Int], scale: Double) async throws -> Double {\n    Double(values.reduce(0, +)) * scale\n}",
                    entry: "return try await invocation.result(_isolatedBody_total(invocation.argument(0, as: [Int].self), scale: invocation.argument(1, as: Double.self)))",
                    stub: #"func total(_ values: [Int], scale: Double) async throws -> Double {\#n    try await IsolatedRunner::NestedFunction.named("total").call(values, scale, returning: Double.self)\#n}"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            """##
        }
    }

    @Test("A parameter without an internal name is rejected")
    func unnamedParameter() {
        assertMacro {
            """
            @Isolated
            func pair(_ _: Int, _: String) async throws -> Int {
                0
            }
            """
        } diagnostics: {
            """
            @Isolated
            func pair(_ _: Int, _: String) async throws -> Int {
                                ┬
                        │       ╰─ 🛑 parameter #2 of @Isolated function 'pair' has no name; give it one, as in '_ value: String', so its argument can be forwarded
                        ┬
                        ╰─ 🛑 parameter #1 of @Isolated function 'pair' has no name; give it one, as in '_ value: Int', so its argument can be forwarded
                0
            }
            """
        }
    }

    @Test("An instance method is rejected with a fix-it making it static")
    func instanceMethod() {
        assertMacro {
            """
            struct Jobs {
                @Isolated
                func count() async throws -> Int {
                    0
                }
            }

            extension Jobs {
                @Isolated
                public func name() async throws -> String {
                    ""
                }
            }

            actor Worker {
                @Isolated func ping() async throws {}
            }
            """
        } diagnostics: {
            """
            struct Jobs {
                @Isolated
                func count() async throws -> Int {
                ┬───
                ╰─ 🛑 @Isolated can only be applied to top-level or static functions; 'count' is an instance method
                   ✏️ make 'count' static
                    0
                }
            }

            extension Jobs {
                @Isolated
                public func name() async throws -> String {
                       ┬───
                       ╰─ 🛑 @Isolated can only be applied to top-level or static functions; 'name' is an instance method
                          ✏️ make 'name' static
                    ""
                }
            }

            actor Worker {
                @Isolated func ping() async throws {}
                          ┬───
                          ╰─ 🛑 @Isolated can only be applied to top-level or static functions; 'ping' is an instance method
                             ✏️ make 'ping' static
            }
            """
        } fixes: {
            """
            struct Jobs {
                @Isolated
                static func count() async throws -> Int {
                    0
                }
            }

            extension Jobs {
                @Isolated
                public static func name() async throws -> String {
                    ""
                }
            }

            actor Worker {
                @Isolated static func ping() async throws {}
            }
            """
        } expansion: {
            ##"""
            struct Jobs {
                static func count() async throws -> Int {
                    try await _isolatedShipped(count: ()).call(returning: Int.self)
                }

                static func _isolatedShipped(count _: Void) -> Isolated::IsolatedFunction {
                    Isolated::IsolatedFunction(
                        name: "count",
                        source: "func _isolatedBody_count() async throws -> Int {\n        0\n    }",
                        entry: "return try await invocation.result(_isolatedBody_count())",
                        stub: #"func count() async throws -> Int {\#n    try await IsolatedRunner::NestedFunction.named("count").call(returning: Int.self)\#n}"#,
                        file: "Test.swift",
                        line: 3
                    )
                }
            }

            extension Jobs {
                public static func name() async throws -> String {
                    try await _isolatedShipped(name: ()).call(returning: String.self)
                }

                public static func _isolatedShipped(name _: Void) -> Isolated::IsolatedFunction {
                    Isolated::IsolatedFunction(
                        name: "name",
                        source: #"public func _isolatedBody_name() async throws -> String {\#n        ""\#n    }"#,
                        entry: "return try await invocation.result(_isolatedBody_name())",
                        stub: #"public func name() async throws -> String {\#n    try await IsolatedRunner::NestedFunction.named("name").call(returning: String.self)\#n}"#,
                        file: "Test.swift",
                        line: 10
                    )
                }
            }

            actor Worker {
                static func ping() async throws {
                    try await _isolatedShipped(ping: ()).call()
                }

                static func _isolatedShipped(ping _: Void) -> Isolated::IsolatedFunction {
                    Isolated::IsolatedFunction(
                        name: "ping",
                        source: "func _isolatedBody_ping() async throws {}",
                        entry: "try await _isolatedBody_ping()\nreturn invocation.void()",
                        stub: #"func ping() async throws {\#n    try await IsolatedRunner::NestedFunction.named("ping").call()\#n}"#,
                        file: "Test.swift",
                        line: 16
                    )
                }
            }
            """##
        }
    }

    @Test("Functions nested in a function, a closure or an accessor are rejected")
    func nestedFunction() {
        assertMacro {
            """
            func outer() {
                @Isolated
                func inner() async throws -> Int {
                    1
                }
            }

            let handler = {
                @Isolated
                func inClosure() async throws {}
            }

            struct Box {
                var value: Int {
                    get {
                        @Isolated
                        func inGetter() async throws {}
                        return 0
                    }
                }
            }
            """
        } diagnostics: {
            """
            func outer() {
                @Isolated
                func inner() async throws -> Int {
                     ┬────
                     ╰─ 🛑 @Isolated cannot be applied to 'inner' because it is nested inside another function; move it to the top level
                    1
                }
            }

            let handler = {
                @Isolated
                func inClosure() async throws {}
                     ┬────────
                     ╰─ 🛑 @Isolated cannot be applied to 'inClosure' because it is nested inside another function; move it to the top level
            }

            struct Box {
                var value: Int {
                    get {
                        @Isolated
                        func inGetter() async throws {}
                             ┬───────
                             ╰─ 🛑 @Isolated cannot be applied to 'inGetter' because it is nested inside another function; move it to the top level
                        return 0
                    }
                }
            }
            """
        }
    }

    @Test("A function without a body is rejected")
    func missingBody() {
        assertMacro {
            """
            @Isolated
            func declared() async throws -> Int
            """
        } diagnostics: {
            """
            @Isolated
            func declared() async throws -> Int
                 ┬───────
                 ╰─ 🛑 @Isolated function 'declared' needs a body to ship
            """
        }
    }

    @Test("Declarations other than functions are rejected")
    func notAFunction() {
        assertMacro {
            """
            struct Service {
                @Isolated
                init() {}
            }

            let work = { @Isolated in
                1
            }
            """
        } diagnostics: {
            """
            struct Service {
                @Isolated
                ┬────────
                ╰─ 🛑 @Isolated can only be applied to functions; remove it from this initializer
                init() {}
            }

            let work = { @Isolated in
                         ┬────────
                         ╰─ 🛑 @Isolated can only be applied to functions; remove it from this closure
                1
            }
            """
        }
    }

    @Test("Every problem is reported, not just the first, and nothing is expanded")
    func multipleDiagnostics() {
        assertMacro {
            """
            @Isolated
            func update<T>(_ state: inout T, _ _: Int, with change: (T) -> T) -> T {
                change(state)
            }
            """
        } diagnostics: {
            """
            @Isolated
            func update<T>(_ state: inout T, _ _: Int, with change: (T) -> T) -> T {
                                                                    ┬───────
                 │     │            │          │                    ╰─ 🛑 parameter 'change' of @Isolated function 'update' is a closure, which cannot be sent to another process; pass Codable data instead
                                               ┬
                 │     │            │          ╰─ 🛑 parameter #2 of @Isolated function 'update' has no name; give it one, as in '_ value: Int', so its argument can be forwarded
                                    ┬────
                 │     │            ╰─ 🛑 parameter 'state' of @Isolated function 'update' cannot be 'inout': arguments are copied to another process; return the new value instead
                 │     │               ✏️ remove 'inout'
                       ┬──
                 │     ╰─ 🛑 @Isolated function 'update' cannot be generic: its parameter and result types must be concrete Codable & Sendable types the worker can decode
                 ┬─────
                 ╰─ 🛑 @Isolated function 'update' must be 'async throws': every call crosses a process boundary and can fail
                    ✏️ add 'async throws'
                change(state)
            }
            """
        }
    }

    @Test("A 'uses:' entry must name a declaration")
    func badUsesEntries() {
        assertMacro {
            """
            @Isolated(uses: [helper(), "Model", { helper }, helper(_:), Box<Int>.self, .shared, Self.self, 1])
            func run() async throws {}
            """
        } diagnostics: {
            """
            @Isolated(uses: [helper(), "Model", { helper }, helper(_:), Box<Int>.self, .shared, Self.self, 1])
                                                                                                           ┬
                             │         │        │           │           │              │        │          ╰─ 🛑 a 'uses:' entry names a declaration: a function ('helper'), a static function ('Type.helper') or a type ('Model.self')
                                                                                                ┬────────
                             │         │        │           │           │              │        ╰─ 🛑 a 'uses:' entry names a declaration: a function ('helper'), a static function ('Type.helper') or a type ('Model.self')
                                                                                       ┬──────
                             │         │        │           │           │              ╰─ 🛑 a 'uses:' entry names a declaration: a function ('helper'), a static function ('Type.helper') or a type ('Model.self')
                                                                        ┬────────────
                             │         │        │           │           ╰─ 🛑 a 'uses:' entry names a declaration: a function ('helper'), a static function ('Type.helper') or a type ('Model.self')
                                                            ┬─────────
                             │         │        │           ╰─ 🛑 a 'uses:' entry names a declaration: a function ('helper'), a static function ('Type.helper') or a type ('Model.self')
                                                ┬─────────
                             │         │        ╰─ 🛑 a 'uses:' entry names a declaration: a function ('helper'), a static function ('Type.helper') or a type ('Model.self')
                                       ┬──────
                             │         ╰─ 🛑 a 'uses:' entry names a declaration: a function ('helper'), a static function ('Type.helper') or a type ('Model.self')
                             ┬───────
                             ╰─ 🛑 a 'uses:' entry names a declaration: a function ('helper'), a static function ('Type.helper') or a type ('Model.self')
            func run() async throws {}
            """
        }
    }

    @Test("'uses:' must be an array literal")
    func usesNotArrayLiteral() {
        assertMacro {
            """
            @Isolated(uses: sharedDeclarations)
            func run() async throws {}

            @Isolated(uses: [helper] + common)
            func walk() async throws {}
            """
        } diagnostics: {
            """
            @Isolated(uses: sharedDeclarations)
                            ┬─────────────────
                            ╰─ 🛑 'uses:' must be an array literal of declaration names
            func run() async throws {}

            @Isolated(uses: [helper] + common)
                            ┬────────────────
                            ╰─ 🛑 'uses:' must be an array literal of declaration names
            func walk() async throws {}
            """
        }
    }

    @Test("A function cannot list itself; the fix-it removes the entry")
    func usesItself() {
        assertMacro {
            """
            @Isolated(uses: [helper, fibonacci])
            func fibonacci(_ n: Int) async throws -> Int {
                n < 2 ? n : try await fibonacci(n - 1) + fibonacci(n - 2)
            }
            """
        } diagnostics: {
            """
            @Isolated(uses: [helper, fibonacci])
                                     ┬────────
                                     ╰─ 🛑 'fibonacci' cannot list itself in 'uses:'; it can call itself without being listed
                                        ✏️ remove 'fibonacci' from 'uses:'
            func fibonacci(_ n: Int) async throws -> Int {
                n < 2 ? n : try await fibonacci(n - 1) + fibonacci(n - 2)
            }
            """
        } fixes: {
            """
            @Isolated(uses: [helper])
            func fibonacci(_ n: Int) async throws -> Int {
                n < 2 ? n : try await fibonacci(n - 1) + fibonacci(n - 2)
            }
            """
        } expansion: {
            ##"""
            func fibonacci(_ n: Int) async throws -> Int {
                try await _isolatedShipped(fibonacci: ()).call(n, returning: Int.self)
            }

            func _isolatedShipped(fibonacci _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "fibonacci",
                    source: "func _isolatedBody_fibonacci(_ n: Int) async throws -> Int {\n    n < 2 ? n : try await fibonacci(n - 1) + fibonacci(n - 2)\n}",
                    entry: "return try await invocation.result(_isolatedBody_fibonacci(invocation.argument(0, as: Int.self)))",
                    stub: #"func fibonacci(_ n: Int) async throws -> Int {\#n    try await IsolatedRunner::NestedFunction.named("fibonacci").call(n, returning: Int.self)\#n}"#,
                    file: "Test.swift",
                    line: 2,
                    uses: [Isolated::Shipping.declaration(_isolatedShipped(helper: ()))]
                )
            }
            """##
        }
    }

    @Test("A static function cannot list itself through its type either")
    func staticUsesItself() {
        assertMacro {
            """
            enum Jobs {
                @Isolated(uses: [
                    Self.sum,
                    helper,
                ])
                static func sum(_ values: [Int]) async throws -> Int {
                    values.reduce(0, +)
                }
            }

            extension Jobs {
                @Isolated(uses: [Jobs.count])
                static func count() async throws -> Int {
                    0
                }
            }
            """
        } diagnostics: {
            """
            enum Jobs {
                @Isolated(uses: [
                    Self.sum,
                    ┬───────
                    ╰─ 🛑 'sum' cannot list itself in 'uses:'; it can call itself without being listed
                       ✏️ remove 'Self.sum' from 'uses:'
                    helper,
                ])
                static func sum(_ values: [Int]) async throws -> Int {
                    values.reduce(0, +)
                }
            }

            extension Jobs {
                @Isolated(uses: [Jobs.count])
                                 ┬─────────
                                 ╰─ 🛑 'count' cannot list itself in 'uses:'; it can call itself without being listed
                                    ✏️ remove 'Jobs.count' from 'uses:'
                static func count() async throws -> Int {
                    0
                }
            }
            """
        } fixes: {
            """
            enum Jobs {
                @Isolated(uses: [
                    helper,
                ])
                static func sum(_ values: [Int]) async throws -> Int {
                    values.reduce(0, +)
                }
            }

            extension Jobs {
                @Isolated(uses: [])
                static func count() async throws -> Int {
                    0
                }
            }
            """
        } expansion: {
            ##"""
            enum Jobs {
                static func sum(_ values: [Int]) async throws -> Int {
                    try await _isolatedShipped(sum: ()).call(values, returning: Int.self)
                }

                static func _isolatedShipped(sum _: Void) -> Isolated::IsolatedFunction {
                    Isolated::IsolatedFunction(
                        name: "sum",
                        source: "func _isolatedBody_sum(_ values: [Int]) async throws -> Int {\n        values.reduce(0, +)\n    }",
                        entry: "return try await invocation.result(_isolatedBody_sum(invocation.argument(0, as: [Int].self)))",
                        stub: #"func sum(_ values: [Int]) async throws -> Int {\#n    try await IsolatedRunner::NestedFunction.named("sum").call(values, returning: Int.self)\#n}"#,
                        file: "Test.swift",
                        line: 5,
                        uses: [Isolated::Shipping.declaration(_isolatedShipped(helper: ()))]
                    )
                }
            }

            extension Jobs {
                static func count() async throws -> Int {
                    try await _isolatedShipped(count: ()).call(returning: Int.self)
                }

                static func _isolatedShipped(count _: Void) -> Isolated::IsolatedFunction {
                    Isolated::IsolatedFunction(
                        name: "count",
                        source: "func _isolatedBody_count() async throws -> Int {\n        0\n    }",
                        entry: "return try await invocation.result(_isolatedBody_count())",
                        stub: #"func count() async throws -> Int {\#n    try await IsolatedRunner::NestedFunction.named("count").call(returning: Int.self)\#n}"#,
                        file: "Test.swift",
                        line: 12,
                        uses: []
                    )
                }
            }
            """##
        }
    }

    @Test("An entry listed twice is an error; the fix-it removes the repeat")
    func usesDuplicate() {
        assertMacro {
            """
            @Isolated(uses: [helper, Model.self, `helper`])
            func run() async throws {}
            """
        } diagnostics: {
            """
            @Isolated(uses: [helper, Model.self, `helper`])
                                                 ┬───────
                                                 ╰─ 🛑 'helper' is listed more than once in 'uses:'
                                                    ✏️ remove the repeated 'helper'
            func run() async throws {}
            """
        } fixes: {
            """
            @Isolated(uses: [helper, Model.self])
            func run() async throws {}
            """
        } expansion: {
            ##"""
            func run() async throws {
                try await _isolatedShipped(run: ()).call()
            }

            func _isolatedShipped(run _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "run",
                    source: "func _isolatedBody_run() async throws {}",
                    entry: "try await _isolatedBody_run()\nreturn invocation.void()",
                    stub: #"func run() async throws {\#n    try await IsolatedRunner::NestedFunction.named("run").call()\#n}"#,
                    file: "Test.swift",
                    line: 2,
                    uses: [Isolated::Shipping.declaration(_isolatedShipped(helper: ())), Isolated::Shipping.declaration(_isolatedShipped(Model: ()))]
                )
            }
            """##
        }
    }
}
