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
            #"""
            func chunked(_ values: [Int], size: Int) async throws -> [[Int]] {
                try await IsolatedFunction(
                    name: "chunked",
                    source: "func chunked(_ values: [Int], size: Int) async throws -> [[Int]] {\n    values.chunks(ofCount: size).map(Array.init)\n}",
                    entry: "return try await invocation.result(chunked(invocation.argument(0, as: [Int].self), size: invocation.argument(1, as: Int.self)))",
                    file: "Test.swift",
                    line: 2,
                    requirements: ["apple/swift-algorithms@1.2.0"],
                    machineType: "XS",
                    keepAlive: 10
                )
                .call(values, size, returning: [[Int]].self)
            }
            """#
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
                try await IsolatedFunction(
                    name: "warmUp",
                    source: #"func warmUp() async throws {\#n    print("warm")\#n}"#,
                    entry: "try await warmUp()\nreturn invocation.void()",
                    file: "Test.swift",
                    line: 2,
                    machineType: "S"
                )
                .call()
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
            #"""
            func log(_ message: String) async throws -> Void {
                try await IsolatedFunction(
                    name: "log",
                    source: "func log(_ message: String) async throws -> Void {\n    print(message)\n}",
                    entry: "try await log(invocation.argument(0, as: String.self))\nreturn invocation.void()",
                    file: "Test.swift",
                    line: 2
                )
                .call(message)
            }
            func flush(count: Int) async throws -> () {
                try await IsolatedFunction(
                    name: "flush",
                    source: "func flush(count: Int) async throws -> () {\n    print(count)\n}",
                    entry: "try await flush(count: invocation.argument(0, as: Int.self))\nreturn invocation.void()",
                    file: "Test.swift",
                    line: 7
                )
                .call(count)
            }
            """#
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
            #"""
            func one() async throws -> Int {
                try await IsolatedFunction(
                    name: "one",
                    source: "func one() async throws -> Int {\n    1\n}",
                    entry: "return try await invocation.result(one())",
                    file: "Test.swift",
                    line: 2
                )
                .call(returning: Int.self)
            }
            func two() async throws -> Int {
                try await IsolatedFunction(
                    name: "two",
                    source: "func two() async throws -> Int {\n    2\n}",
                    entry: "return try await invocation.result(two())",
                    file: "Test.swift",
                    line: 7
                )
                .call(returning: Int.self)
            }
            """#
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
            #"""
            func train(epochs: Int) async throws -> Double {
                try await IsolatedFunction(
                    name: "train",
                    source: "func train(epochs: Int) async throws -> Double {\n    0.5\n}",
                    entry: "return try await invocation.result(train(epochs: invocation.argument(0, as: Int.self)))",
                    file: "Test.swift",
                    line: 2,
                    requirements: Self.reqs + ["a/b@1.0.0"],
                    machineType: machine(for: .large),
                    keepAlive: 2 * minutes
                )
                .call(epochs, returning: Double.self)
            }
            """#
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
                try await IsolatedFunction(
                    name: "greet",
                    source: ##"func greet(_ name: String) async throws -> String {\##n    let quoted = "\"\(name)\""\##n    let path = "C:\\Users\\" + "#tag"\##n    let poem = """\##n        Roses are red,\##n        \(name) is "blue"\##n        """\##n    return quoted + path + poem\##n}"##,
                    entry: "return try await invocation.result(greet(invocation.argument(0, as: String.self)))",
                    file: "Test.swift",
                    line: 2
                )
                .call(name, returning: String.self)
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
            #"""
            enum Jobs {
                /// Sums the values remotely.
                public static func sum(_ values: [Int]) async throws -> Int {
                    try await IsolatedFunction(
                        name: "sum",
                        source: "public func sum(_ values: [Int]) async throws -> Int {\n        values.reduce(0, +)\n    }",
                        entry: "return try await invocation.result(sum(invocation.argument(0, as: [Int].self)))",
                        file: "Test.swift",
                        line: 4,
                        keepAlive: 30
                    )
                    .call(values, returning: Int.self)
                }
            }
            """#
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
            #"""
            @discardableResult
            func store(_ value: String) async throws -> Bool {
                try await IsolatedFunction(
                    name: "store",
                    source: "@discardableResult\n\nfunc store(_ value: String) async throws -> Bool {\n    true\n}",
                    entry: "return try await invocation.result(store(invocation.argument(0, as: String.self)))",
                    file: "Test.swift",
                    line: 1,
                    machineType: "M"
                )
                .call(value, returning: Bool.self)
            }

            @discardableResult func erase(_ key: String) async throws -> Bool {
                try await IsolatedFunction(
                    name: "erase",
                    source: "@discardableResult func erase(_ key: String) async throws -> Bool {\n    false\n}",
                    entry: "return try await invocation.result(erase(invocation.argument(0, as: String.self)))",
                    file: "Test.swift",
                    line: 7
                )
                .call(key, returning: Bool.self)
            }
            """#
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
            #"""
            func slice(_ values: [String], from start: Int, to end: Int, by step: Int = 1) async throws -> [String: Int]? {
                try await IsolatedFunction(
                    name: "slice",
                    source: "func slice(_ values: [String], from start: Int, to end: Int, by step: Int = 1) async throws -> [String: Int]? {\n    nil\n}",
                    entry: "return try await invocation.result(slice(invocation.argument(0, as: [String].self), from: invocation.argument(1, as: Int.self), to: invocation.argument(2, as: Int.self), by: invocation.argument(3, as: Int.self)))",
                    file: "Test.swift",
                    line: 2
                )
                .call(values, start, end, step, returning: [String: Int]?.self)
            }
            """#
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
            #"""
            func parse(_ text: String) async throws(IsolatedError) -> Int {
                try await IsolatedFunction(
                    name: "parse",
                    source: "func parse(_ text: String) async throws(IsolatedError) -> Int {\n    text.count\n}",
                    entry: "return try await invocation.result(parse(invocation.argument(0, as: String.self)))",
                    file: "Test.swift",
                    line: 2
                )
                .call(text, returning: Int.self)
            }
            """#
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
            #"""
            func describe(_ shape: any Shape, flags: (Bool, Bool), note: sending String) async throws -> any Shape {
                try await IsolatedFunction(
                    name: "describe",
                    source: "func describe(_ shape: any Shape, flags: (Bool, Bool), note: sending String) async throws -> any Shape {\n    shape\n}",
                    entry: "return try await invocation.result(describe(invocation.argument(0, as: (any Shape).self), flags: invocation.argument(1, as: ((Bool, Bool)).self), note: invocation.argument(2, as: String.self)))",
                    file: "Test.swift",
                    line: 2
                )
                .call(shape, flags, note, returning: (any Shape).self)
            }
            """#
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
            #"""
            class Cache {
                @MainActor
                override final class func warm(
                    keys: [String]
                ) async throws -> Int {
                    try await IsolatedFunction(
                        name: "warm",
                        source: "@MainActor\n    func warm(\n        keys: [String]\n    ) async throws -> Int {\n        keys.count\n    }",
                        entry: "return try await invocation.result(warm(keys: invocation.argument(0, as: [String].self)))",
                        file: "Test.swift",
                        line: 2,
                        machineType: "L"
                    )
                    .call(keys, returning: Int.self)
                }
            }
            """#
        }
    }
}
