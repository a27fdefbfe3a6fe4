import IsolatedMacros
import MacroTesting
import Testing

@Suite("@Isolated expansion", .macros(["Isolated": IsolatedMacro.self]))
struct IsolatedMacroTests {
    @Test("Ships the declaration, an entry that decodes each argument, and the attribute's settings")
    func chunked() {
        assertMacro {
            """
            @Isolated(requirements: ["apple/swift-algorithms@1.2.0"], machineType: "XS", keepAlive: 10)
            func chunked(_ values: [Int], size: Int) async throws -> [[Int]] {
                values.chunks(ofCount: size).map(Array.init)
            }
            """
        } expansion: {
            ##"""
            func chunked(_ values: [Int], size: Int) async throws -> [[Int]] {
                try await _isolatedShipped(chunked: ()).call(values, size, returning: [[Int]].self)
            }

            func _isolatedShipped(chunked _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "chunked",
                    source: "func _isolatedBody_chunked(_ values: [Int], size: Int) async throws -> [[Int]] {\n    values.chunks(ofCount: size).map(Array.init)\n}",
                    entry: "return try await invocation.result(_isolatedBody_chunked(invocation.argument(0, as: [Int].self), size: invocation.argument(1, as: Int.self)))",
                    stub: #"func chunked(_ values: [Int], size: Int) async throws -> [[Int]] {\#n    try await IsolatedRunner::NestedFunction.named("chunked").call(values, size, returning: [[Int]].self)\#n}"#,
                    file: "Test.swift",
                    line: 2,
                    requirements: ["apple/swift-algorithms@1.2.0"],
                    machineType: "XS",
                    keepAlive: 10
                )
            }
            """##
        }
    }

    @Test("A function with no parameters and no result calls with no arguments and returns void")
    func noParametersNoResult() {
        assertMacro {
            """
            @Isolated(machineType: "S")
            func warmUp() async throws {
                print("warm")
            }
            """
        } expansion: {
            ##"""
            func warmUp() async throws {
                try await _isolatedShipped(warmUp: ()).call()
            }

            func _isolatedShipped(warmUp _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "warmUp",
                    source: #"func _isolatedBody_warmUp() async throws {\#n    print("warm")\#n}"#,
                    entry: "try await _isolatedBody_warmUp()\nreturn invocation.void()",
                    stub: #"func warmUp() async throws {\#n    try await IsolatedRunner::NestedFunction.named("warmUp").call()\#n}"#,
                    file: "Test.swift",
                    line: 2,
                    machineType: "S"
                )
            }
            """##
        }
    }

    @Test("A function returning Void or () has no result to send back")
    func voidResult() {
        assertMacro {
            """
            @Isolated
            func log(_ message: String) async throws -> Void {
                print(message)
            }

            @Isolated
            func flush(count: Int) async throws -> () {
                print(count)
            }
            """
        } expansion: {
            ##"""
            func log(_ message: String) async throws -> Void {
                try await _isolatedShipped(log: ()).call(message)
            }

            func _isolatedShipped(log _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "log",
                    source: "func _isolatedBody_log(_ message: String) async throws -> Void {\n    print(message)\n}",
                    entry: "try await _isolatedBody_log(invocation.argument(0, as: String.self))\nreturn invocation.void()",
                    stub: #"func log(_ message: String) async throws -> Void {\#n    try await IsolatedRunner::NestedFunction.named("log").call(message)\#n}"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            func flush(count: Int) async throws -> () {
                try await _isolatedShipped(flush: ()).call(count)
            }

            func _isolatedShipped(flush _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "flush",
                    source: "func _isolatedBody_flush(count: Int) async throws -> () {\n    print(count)\n}",
                    entry: "try await _isolatedBody_flush(count: invocation.argument(0, as: Int.self))\nreturn invocation.void()",
                    stub: #"func flush(count: Int) async throws -> () {\#n    try await IsolatedRunner::NestedFunction.named("flush").call(count)\#n}"#,
                    file: "Test.swift",
                    line: 7
                )
            }
            """##
        }
    }

    @Test("Omitted attribute arguments are left to the initializer's defaults")
    func omittedArguments() {
        assertMacro {
            """
            @Isolated
            func one() async throws -> Int {
                1
            }

            @Isolated()
            func two() async throws -> Int {
                2
            }
            """
        } expansion: {
            ##"""
            func one() async throws -> Int {
                try await _isolatedShipped(one: ()).call(returning: Int.self)
            }

            func _isolatedShipped(one _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "one",
                    source: "func _isolatedBody_one() async throws -> Int {\n    1\n}",
                    entry: "return try await invocation.result(_isolatedBody_one())",
                    stub: #"func one() async throws -> Int {\#n    try await IsolatedRunner::NestedFunction.named("one").call(returning: Int.self)\#n}"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            func two() async throws -> Int {
                try await _isolatedShipped(two: ()).call(returning: Int.self)
            }

            func _isolatedShipped(two _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "two",
                    source: "func _isolatedBody_two() async throws -> Int {\n    2\n}",
                    entry: "return try await invocation.result(_isolatedBody_two())",
                    stub: #"func two() async throws -> Int {\#n    try await IsolatedRunner::NestedFunction.named("two").call(returning: Int.self)\#n}"#,
                    file: "Test.swift",
                    line: 7
                )
            }
            """##
        }
    }

    @Test("Attribute arguments are copied as expressions evaluated at run time")
    func runtimeArguments() {
        assertMacro {
            """
            @Isolated(requirements: Self.reqs + ["a/b@1.0.0"], machineType: machine(for: .large), keepAlive: 2 * minutes)
            func train(epochs: Int) async throws -> Double {
                0.5
            }
            """
        } expansion: {
            ##"""
            func train(epochs: Int) async throws -> Double {
                try await _isolatedShipped(train: ()).call(epochs, returning: Double.self)
            }

            func _isolatedShipped(train _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "train",
                    source: "func _isolatedBody_train(epochs: Int) async throws -> Double {\n    0.5\n}",
                    entry: "return try await invocation.result(_isolatedBody_train(epochs: invocation.argument(0, as: Int.self)))",
                    stub: #"func train(epochs: Int) async throws -> Double {\#n    try await IsolatedRunner::NestedFunction.named("train").call(epochs, returning: Double.self)\#n}"#,
                    file: "Test.swift",
                    line: 2,
                    requirements: Self.reqs + ["a/b@1.0.0"],
                    machineType: machine(for: .large),
                    keepAlive: 2 * minutes
                )
            }
            """##
        }
    }

    @Test("Quotes, backslashes, interpolations and multi-line strings in the body are escaped in the shipped source")
    func escaping() {
        assertMacro {
            #"""
            @Isolated
            func greet(_ name: String) async throws -> String {
                let quoted = "\"\(name)\""
                let path = "C:\\Users\\" + "#tag"
                let poem = """
                    Roses are red,
                    \(name) is "blue"
                    """
                return quoted + path + poem
            }
            """#
        } expansion: {
            ###"""
            func greet(_ name: String) async throws -> String {
                try await _isolatedShipped(greet: ()).call(name, returning: String.self)
            }

            func _isolatedShipped(greet _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "greet",
                    source: ##"func _isolatedBody_greet(_ name: String) async throws -> String {\##n    let quoted = "\"\(name)\""\##n    let path = "C:\\Users\\" + "#tag"\##n    let poem = """\##n        Roses are red,\##n        \(name) is "blue"\##n        """\##n    return quoted + path + poem\##n}"##,
                    entry: "return try await invocation.result(_isolatedBody_greet(invocation.argument(0, as: String.self)))",
                    stub: #"func greet(_ name: String) async throws -> String {\#n    try await IsolatedRunner::NestedFunction.named("greet").call(name, returning: String.self)\#n}"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            """###
        }
    }

    @Test("A static function inside a type ships as a top-level function, keeping its body's indentation")
    func staticFunctionInEnum() {
        assertMacro {
            """
            enum Jobs {
                /// Sums the values remotely.
                @Isolated(keepAlive: 30)
                public static func sum(_ values: [Int]) async throws -> Int {
                    values.reduce(0, +)
                }
            }
            """
        } expansion: {
            ##"""
            enum Jobs {
                /// Sums the values remotely.
                public static func sum(_ values: [Int]) async throws -> Int {
                    try await _isolatedShipped(sum: ()).call(values, returning: Int.self)
                }

                public static func _isolatedShipped(sum _: Void) -> Isolated::IsolatedFunction {
                    Isolated::IsolatedFunction(
                        name: "sum",
                        source: "public func _isolatedBody_sum(_ values: [Int]) async throws -> Int {\n        values.reduce(0, +)\n    }",
                        entry: "return try await invocation.result(_isolatedBody_sum(invocation.argument(0, as: [Int].self)))",
                        stub: #"public func sum(_ values: [Int]) async throws -> Int {\#n    try await IsolatedRunner::NestedFunction.named("sum").call(values, returning: Int.self)\#n}"#,
                        file: "Test.swift",
                        line: 4,
                        keepAlive: 30
                    )
                }
            }
            """##
        }
    }

    @Test("Other attributes are shipped; only @Isolated is removed, leaving its line so line numbers still match")
    func otherAttributes() {
        assertMacro {
            """
            @discardableResult
            @Isolated(machineType: "M")
            func store(_ value: String) async throws -> Bool {
                true
            }

            @Isolated @discardableResult func erase(_ key: String) async throws -> Bool {
                false
            }
            """
        } expansion: {
            ##"""
            @discardableResult
            func store(_ value: String) async throws -> Bool {
                try await _isolatedShipped(store: ()).call(value, returning: Bool.self)
            }

            func _isolatedShipped(store _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "store",
                    source: "@discardableResult\n\nfunc _isolatedBody_store(_ value: String) async throws -> Bool {\n    true\n}",
                    entry: "return try await invocation.result(_isolatedBody_store(invocation.argument(0, as: String.self)))",
                    stub: #"@discardableResult\#n\#nfunc store(_ value: String) async throws -> Bool {\#n    try await IsolatedRunner::NestedFunction.named("store").call(value, returning: Bool.self)\#n}"#,
                    file: "Test.swift",
                    line: 1,
                    machineType: "M"
                )
            }

            @discardableResult func erase(_ key: String) async throws -> Bool {
                try await _isolatedShipped(erase: ()).call(key, returning: Bool.self)
            }

            func _isolatedShipped(erase _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "erase",
                    source: "@discardableResult func _isolatedBody_erase(_ key: String) async throws -> Bool {\n    false\n}",
                    entry: "return try await invocation.result(_isolatedBody_erase(invocation.argument(0, as: String.self)))",
                    stub: #"@discardableResult func erase(_ key: String) async throws -> Bool {\#n    try await IsolatedRunner::NestedFunction.named("erase").call(key, returning: Bool.self)\#n}"#,
                    file: "Test.swift",
                    line: 7
                )
            }
            """##
        }
    }

    @Test("Arguments are passed with external labels on the worker and by internal name on the host")
    func labelledParameters() {
        assertMacro {
            """
            @Isolated
            func slice(_ values: [String], from start: Int, to end: Int, by step: Int = 1) async throws -> [String: Int]? {
                nil
            }
            """
        } expansion: {
            ##"""
            func slice(_ values: [String], from start: Int, to end: Int, by step: Int = 1) async throws -> [String: Int]? {
                try await _isolatedShipped(slice: ()).call(values, start, end, step, returning: [String: Int]?.self)
            }

            func _isolatedShipped(slice _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "slice",
                    source: "func _isolatedBody_slice(_ values: [String], from start: Int, to end: Int, by step: Int = 1) async throws -> [String: Int]? {\n    nil\n}",
                    entry: "return try await invocation.result(_isolatedBody_slice(invocation.argument(0, as: [String].self), from: invocation.argument(1, as: Int.self), to: invocation.argument(2, as: Int.self), by: invocation.argument(3, as: Int.self)))",
                    stub: #"func slice(_ values: [String], from start: Int, to end: Int, by step: Int = 1) async throws -> [String: Int]? {\#n    try await IsolatedRunner::NestedFunction.named("slice").call(values, start, end, step, returning: [String: Int]?.self)\#n}"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            """##
        }
    }

    @Test("Typed throws of IsolatedError counts as throwing")
    func typedThrowsOfIsolatedError() {
        assertMacro {
            """
            @Isolated
            func parse(_ text: String) async throws(IsolatedError) -> Int {
                text.count
            }
            """
        } expansion: {
            ##"""
            func parse(_ text: String) async throws(IsolatedError) -> Int {
                try await _isolatedShipped(parse: ()).call(text, returning: Int.self)
            }

            func _isolatedShipped(parse _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "parse",
                    source: "func _isolatedBody_parse(_ text: String) async throws(IsolatedError) -> Int {\n    text.count\n}",
                    entry: "return try await invocation.result(_isolatedBody_parse(invocation.argument(0, as: String.self)))",
                    stub: #"func parse(_ text: String) async throws(IsolatedError) -> Int {\#n    try await IsolatedRunner::NestedFunction.named("parse").call(text, returning: Int.self)\#n}"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            """##
        }
    }

    @Test("Result and parameter types that are not plain names are parenthesised before .self")
    func existentialTypes() {
        assertMacro {
            """
            @Isolated
            func describe(_ shape: any Shape, flags: (Bool, Bool), note: sending String) async throws -> any Shape {
                shape
            }
            """
        } expansion: {
            ##"""
            func describe(_ shape: any Shape, flags: (Bool, Bool), note: sending String) async throws -> any Shape {
                try await _isolatedShipped(describe: ()).call(shape, flags, note, returning: (any Shape).self)
            }

            func _isolatedShipped(describe _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "describe",
                    source: "func _isolatedBody_describe(_ shape: any Shape, flags: (Bool, Bool), note: sending String) async throws -> any Shape {\n    shape\n}",
                    entry: "return try await invocation.result(_isolatedBody_describe(invocation.argument(0, as: (any Shape).self), flags: invocation.argument(1, as: ((Bool, Bool)).self), note: invocation.argument(2, as: String.self)))",
                    stub: #"func describe(_ shape: any Shape, flags: (Bool, Bool), note: sending String) async throws -> any Shape {\#n    try await IsolatedRunner::NestedFunction.named("describe").call(shape, flags, note, returning: (any Shape).self)\#n}"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            """##
        }
    }

    @Test("A class method ships without 'class', 'final' or 'override', keeping the line breaks of what was removed")
    func classMethod() {
        assertMacro {
            """
            class Cache {
                @MainActor @Isolated(machineType: "L")
                override final class func warm(
                    keys: [String]
                ) async throws -> Int {
                    keys.count
                }
            }
            """
        } expansion: {
            ##"""
            class Cache {
                @MainActor
                override final class func warm(
                    keys: [String]
                ) async throws -> Int {
                    try await _isolatedShipped(warm: ()).call(keys, returning: Int.self)
                }

                static func _isolatedShipped(warm _: Void) -> Isolated::IsolatedFunction {
                    Isolated::IsolatedFunction(
                        name: "warm",
                        source: "@MainActor\n    func _isolatedBody_warm(\n        keys: [String]\n    ) async throws -> Int {\n        keys.count\n    }",
                        entry: "return try await invocation.result(_isolatedBody_warm(keys: invocation.argument(0, as: [String].self)))",
                        stub: #"@MainActor\#n    func warm(\#n        keys: [String]\#n    ) async throws -> Int {\#n    try await IsolatedRunner::NestedFunction.named("warm").call(keys, returning: Int.self)\#n}"#,
                        file: "Test.swift",
                        line: 2,
                        machineType: "L"
                    )
                }
            }
            """##
        }
    }

    @Test("Each 'uses:' entry ships through its declaration's peer: a function, a type, a static function")
    func uses() {
        assertMacro {
            """
            @Isolated(machineType: "L", uses: [loadModel, Model.self, Tokenizer.load, `default`])
            func predict(_ text: String) async throws -> Double {
                try await loadModel().score(Model(text), tokens: Tokenizer.load(`default`))
            }

            @Isolated(uses: [])
            func idle() async throws {}
            """
        } expansion: {
            ##"""
            func predict(_ text: String) async throws -> Double {
                try await _isolatedShipped(predict: ()).call(text, returning: Double.self)
            }

            func _isolatedShipped(predict _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "predict",
                    source: "func _isolatedBody_predict(_ text: String) async throws -> Double {\n    try await loadModel().score(Model(text), tokens: Tokenizer.load(`default`))\n}",
                    entry: "return try await invocation.result(_isolatedBody_predict(invocation.argument(0, as: String.self)))",
                    stub: #"func predict(_ text: String) async throws -> Double {\#n    try await IsolatedRunner::NestedFunction.named("predict").call(text, returning: Double.self)\#n}"#,
                    file: "Test.swift",
                    line: 2,
                    machineType: "L",
                    uses: [Isolated::Shipping.declaration(_isolatedShipped(loadModel: ())), Isolated::Shipping.declaration(_isolatedShipped(Model: ())), Isolated::Shipping.declaration(Tokenizer._isolatedShipped(load: ())), Isolated::Shipping.declaration(_isolatedShipped(default: ()))]
                )
            }
            func idle() async throws {
                try await _isolatedShipped(idle: ()).call()
            }

            func _isolatedShipped(idle _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "idle",
                    source: "func _isolatedBody_idle() async throws {}",
                    entry: "try await _isolatedBody_idle()\nreturn invocation.void()",
                    stub: #"func idle() async throws {\#n    try await IsolatedRunner::NestedFunction.named("idle").call()\#n}"#,
                    file: "Test.swift",
                    line: 7,
                    uses: []
                )
            }
            """##
        }
    }

    @Test("A static function's entries may name its own type's members or a module's declarations")
    func usesInStaticFunction() {
        assertMacro {
            """
            enum Pipeline {
                @Isolated(uses: [Self.normalize, Pipeline.tokenize, Analytics.Event.self, Analytics.record])
                static func run(_ input: String) async throws -> Int {
                    try await tokenize(normalize(input)).count
                }
            }
            """
        } expansion: {
            ##"""
            enum Pipeline {
                static func run(_ input: String) async throws -> Int {
                    try await _isolatedShipped(run: ()).call(input, returning: Int.self)
                }

                static func _isolatedShipped(run _: Void) -> Isolated::IsolatedFunction {
                    Isolated::IsolatedFunction(
                        name: "run",
                        source: "func _isolatedBody_run(_ input: String) async throws -> Int {\n        try await tokenize(normalize(input)).count\n    }",
                        entry: "return try await invocation.result(_isolatedBody_run(invocation.argument(0, as: String.self)))",
                        stub: #"func run(_ input: String) async throws -> Int {\#n    try await IsolatedRunner::NestedFunction.named("run").call(input, returning: Int.self)\#n}"#,
                        file: "Test.swift",
                        line: 3,
                        uses: [Isolated::Shipping.declaration(Self._isolatedShipped(normalize: ())), Isolated::Shipping.declaration(Pipeline._isolatedShipped(tokenize: ())), Isolated::Shipping.declaration(Analytics._isolatedShipped(Event: ())), Isolated::Shipping.declaration(Analytics._isolatedShipped(record: ()))]
                    )
                }
            }
            """##
        }
    }

    @Test("A recursive call keeps the function's name: in the worker it reaches the stub, as a nested isolated call")
    func recursion() {
        assertMacro {
            """
            @Isolated
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
                    line: 2
                )
            }
            """##
        }
    }

    @Test("The three macros together: the isolated function ships the cached function and the type it lists")
    func usesMarkedDeclarations() {
        assertMacro(["Isolated": IsolatedMacro.self, "Cached": CachedMacro.self, "Shippable": ShippableMacro.self]) {
            """
            @Shippable
            struct Model: Sendable {
                var weights: [Double]
            }

            @Cached
            func loadModel() async throws -> Model {
                Model(weights: [0.5])
            }

            @Isolated(uses: [loadModel, Model.self])
            func score(_ value: Double) async throws -> Double {
                try await loadModel().weights[0] * value
            }
            """
        } expansion: {
            ##"""
            struct Model: Sendable {
                var weights: [Double]
            }

            func _isolatedShipped(Model _: Void) -> Isolated::ShippedDeclaration {
                .shippable(
                    name: "Model",
                    source: "struct Model: Sendable {\n    var weights: [Double]\n}",
                    file: "Test.swift",
                    line: 2
                )
            }
            func loadModel() async throws -> Model {
                throw Isolated::Shipping.cachedOutsideWorker("loadModel")
            }

            func _isolatedShipped(loadModel _: Void) -> Isolated::ShippedDeclaration {
                .cached(
                    name: "loadModel",
                    source: #"func loadModel() async throws -> Model { try await IsolatedRunner::CachedFunctions.value(of: "loadModel", arguments: [], as: Model.self) {\#n    Model(weights: [0.5])\#n} }"#,
                    file: "Test.swift",
                    line: 7
                )
            }
            func score(_ value: Double) async throws -> Double {
                try await _isolatedShipped(score: ()).call(value, returning: Double.self)
            }

            func _isolatedShipped(score _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "score",
                    source: "func _isolatedBody_score(_ value: Double) async throws -> Double {\n    try await loadModel().weights[0] * value\n}",
                    entry: "return try await invocation.result(_isolatedBody_score(invocation.argument(0, as: Double.self)))",
                    stub: #"func score(_ value: Double) async throws -> Double {\#n    try await IsolatedRunner::NestedFunction.named("score").call(value, returning: Double.self)\#n}"#,
                    file: "Test.swift",
                    line: 12,
                    uses: [Isolated::Shipping.declaration(_isolatedShipped(loadModel: ())), Isolated::Shipping.declaration(_isolatedShipped(Model: ()))]
                )
            }
            """##
        }
    }

    @Test("A keyword needs no backticks as the peer's label; 'let', 'var', 'inout' and raw identifiers keep them")
    func backtickedNames() {
        assertMacro {
            """
            @Isolated
            func `default`(_ `in`: Int) async throws -> Int {
                `in`
            }

            @Isolated
            func `let`() async throws {}

            @Isolated
            func `two words`() async throws {}

            @Isolated(uses: [`default`, `let`, `two words`, `Type`.self])
            func everything() async throws {}
            """
        } expansion: {
            ##"""
            func `default`(_ `in`: Int) async throws -> Int {
                try await _isolatedShipped(default: ()).call(`in`, returning: Int.self)
            }

            func _isolatedShipped(default _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "default",
                    source: "func _isolatedBody_default(_ `in`: Int) async throws -> Int {\n    `in`\n}",
                    entry: "return try await invocation.result(_isolatedBody_default(invocation.argument(0, as: Int.self)))",
                    stub: #"func `default`(_ `in`: Int) async throws -> Int {\#n    try await IsolatedRunner::NestedFunction.named("default").call(`in`, returning: Int.self)\#n}"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            func `let`() async throws {
                try await _isolatedShipped(`let`: ()).call()
            }

            func _isolatedShipped(`let` _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "let",
                    source: "func _isolatedBody_let() async throws {}",
                    entry: "try await _isolatedBody_let()\nreturn invocation.void()",
                    stub: #"func `let`() async throws {\#n    try await IsolatedRunner::NestedFunction.named("let").call()\#n}"#,
                    file: "Test.swift",
                    line: 7
                )
            }
            func `two words`() async throws {
                try await _isolatedShipped(`two words`: ()).call()
            }

            func _isolatedShipped(`two words` _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "two words",
                    source: "func `_isolatedBody_two words`() async throws {}",
                    entry: "try await `_isolatedBody_two words`()\nreturn invocation.void()",
                    stub: #"func `two words`() async throws {\#n    try await IsolatedRunner::NestedFunction.named("two words").call()\#n}"#,
                    file: "Test.swift",
                    line: 10
                )
            }
            func everything() async throws {
                try await _isolatedShipped(everything: ()).call()
            }

            func _isolatedShipped(everything _: Void) -> Isolated::IsolatedFunction {
                Isolated::IsolatedFunction(
                    name: "everything",
                    source: "func _isolatedBody_everything() async throws {}",
                    entry: "try await _isolatedBody_everything()\nreturn invocation.void()",
                    stub: #"func everything() async throws {\#n    try await IsolatedRunner::NestedFunction.named("everything").call()\#n}"#,
                    file: "Test.swift",
                    line: 13,
                    uses: [Isolated::Shipping.declaration(_isolatedShipped(default: ())), Isolated::Shipping.declaration(_isolatedShipped(`let`: ())), Isolated::Shipping.declaration(_isolatedShipped(`two words`: ())), Isolated::Shipping.declaration(_isolatedShipped(Type: ()))]
                )
            }
            """##
        }
    }
}
