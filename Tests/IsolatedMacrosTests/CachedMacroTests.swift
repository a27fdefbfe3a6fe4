import IsolatedMacros
import MacroTesting
import Testing

@Suite("@Cached expansion", .macros(["Cached": CachedMacro.self]))
struct CachedMacroTests {
    @Test("A function without parameters is memoized under its name alone; the host body only throws")
    func noParameters() {
        assertMacro {
            """
            @Cached
            func loadModel() async throws -> Model {
                let data = try await download("model.bin")
                return Model(data)
            }
            """
        } expansion: {
            ##"""
            func loadModel() async throws -> Model {
                throw Isolated::Shipping.cachedOutsideWorker("loadModel")
            }

            func _isolatedShipped(loadModel _: Void) -> Isolated::ShippedDeclaration {
                .cached(
                    name: "loadModel",
                    source: #"func loadModel() async throws -> Model { try await IsolatedRunner::CachedFunctions.value(of: "loadModel", arguments: [], as: Model.self) {\#n    let data = try await download("model.bin")\#n    return Model(data)\#n} }"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            """##
        }
    }

    @Test("Arguments are the memo's key, by internal name; result types that are not plain names are parenthesised")
    func parameters() {
        assertMacro {
            """
            @Cached
            func embedding(for word: String, _ dimensions: Int) async throws -> (any Vector)? {
                nil
            }
            """
        } expansion: {
            ##"""
            func embedding(for word: String, _ dimensions: Int) async throws -> (any Vector)? {
                throw Isolated::Shipping.cachedOutsideWorker("embedding")
            }

            func _isolatedShipped(embedding _: Void) -> Isolated::ShippedDeclaration {
                .cached(
                    name: "embedding",
                    source: #"func embedding(for word: String, _ dimensions: Int) async throws -> (any Vector)? { try await IsolatedRunner::CachedFunctions.value(of: "embedding", arguments: [word, dimensions], as: (any Vector)?.self) {\#n    nil\#n} }"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            """##
        }
    }

    @Test("A function without a result memoizes Void")
    func voidResult() {
        assertMacro {
            """
            @Cached
            func warmUp(_ level: Int) async throws {
                print(level)
            }

            @Cached
            func prepare() async throws -> () {}
            """
        } expansion: {
            ##"""
            func warmUp(_ level: Int) async throws {
                throw Isolated::Shipping.cachedOutsideWorker("warmUp")
            }

            func _isolatedShipped(warmUp _: Void) -> Isolated::ShippedDeclaration {
                .cached(
                    name: "warmUp",
                    source: #"func warmUp(_ level: Int) async throws { try await IsolatedRunner::CachedFunctions.value(of: "warmUp", arguments: [level], as: Void.self) {\#n    print(level)\#n} }"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            func prepare() async throws -> () {
                throw Isolated::Shipping.cachedOutsideWorker("prepare")
            }

            func _isolatedShipped(prepare _: Void) -> Isolated::ShippedDeclaration {
                .cached(
                    name: "prepare",
                    source: #"func prepare() async throws -> () { try await IsolatedRunner::CachedFunctions.value(of: "prepare", arguments: [], as: Void.self) {} }"#,
                    file: "Test.swift",
                    line: 7
                )
            }
            """##
        }
    }

    @Test("A static function ships as a top-level function; its peer is static and as visible as the function")
    func staticFunction() {
        assertMacro {
            """
            enum Models {
                /// The tokenizer, loaded once per worker.
                @Cached
                public static func tokenizer(
                    named name: String
                ) async throws -> Tokenizer {
                    try await Tokenizer(name)
                }
            }
            """
        } expansion: {
            ##"""
            enum Models {
                /// The tokenizer, loaded once per worker.
                public static func tokenizer(
                    named name: String
                ) async throws -> Tokenizer {
                    throw Isolated::Shipping.cachedOutsideWorker("tokenizer")
                }

                public static func _isolatedShipped(tokenizer _: Void) -> Isolated::ShippedDeclaration {
                    .cached(
                        name: "tokenizer",
                        source: #"public func tokenizer(\#n        named name: String\#n    ) async throws -> Tokenizer { try await IsolatedRunner::CachedFunctions.value(of: "tokenizer", arguments: [name], as: Tokenizer.self) {\#n        try await Tokenizer(name)\#n    } }"#,
                        file: "Test.swift",
                        line: 4
                    )
                }
            }
            """##
        }
    }

    @Test("A function that is not async throws gets the same diagnostics and fix-its as an @Isolated one")
    func notAsyncThrows() {
        assertMacro {
            """
            @Cached
            func loadModel() -> Model {
                Model()
            }
            """
        } diagnostics: {
            """
            @Cached
            func loadModel() -> Model {
                 ┬────────
                 ╰─ 🛑 @Cached function 'loadModel' must be 'async throws': its first call computes the value, which takes time and can fail
                    ✏️ add 'async throws'
                Model()
            }
            """
        } fixes: {
            """
            @Cached
            func loadModel() async throws -> Model {
                Model()
            }
            """
        } expansion: {
            ##"""
            func loadModel() async throws -> Model {
                throw Isolated::Shipping.cachedOutsideWorker("loadModel")
            }

            func _isolatedShipped(loadModel _: Void) -> Isolated::ShippedDeclaration {
                .cached(
                    name: "loadModel",
                    source: #"func loadModel() async throws -> Model { try await IsolatedRunner::CachedFunctions.value(of: "loadModel", arguments: [], as: Model.self) {\#n    Model()\#n} }"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            """##
        }
    }

    @Test("Every other @Isolated rule applies, worded for @Cached")
    func otherRules() {
        assertMacro {
            """
            struct Store {
                @Cached
                func lookup<Key: Hashable>(_ key: inout Key) async throws -> Int {
                    0
                }

                @Cached
                init() {}
            }
            """
        } diagnostics: {
            """
            struct Store {
                @Cached
                func lookup<Key: Hashable>(_ key: inout Key) async throws -> Int {
                                                  ┬────
                │          │                      ╰─ 🛑 parameter 'key' of @Cached function 'lookup' cannot be 'inout': arguments are the memo's key; return the new value instead
                │          │                         ✏️ remove 'inout'
                           ┬──────────────
                │          ╰─ 🛑 @Cached function 'lookup' cannot be generic: its memo keeps one concrete result type, keyed by concrete Hashable arguments
                ┬───
                ╰─ 🛑 @Cached can only be applied to top-level or static functions; 'lookup' is an instance method
                   ✏️ make 'lookup' static
                    0
                }

                @Cached
                ┬──────
                ╰─ 🛑 @Cached can only be applied to functions; remove it from this initializer
                init() {}
            }
            """
        }
    }

    @Test("@Cached takes no typed throws, not even IsolatedError: its errors pass through the memo untyped")
    func typedThrows() {
        assertMacro {
            """
            @Cached
            func lookup(_ key: String) async throws(IsolatedError) -> Int {
                key.count
            }
            """
        } diagnostics: {
            """
            @Cached
            func lookup(_ key: String) async throws(IsolatedError) -> Int {
                                       ┬──────────────────────────
                                       ╰─ 🛑 @Cached function 'lookup' cannot throw only 'IsolatedError': its errors pass through the memo untyped; write 'async throws'
                                          ✏️ replace 'async throws(IsolatedError)' with 'async throws'
                key.count
            }
            """
        } fixes: {
            """
            @Cached
            func lookup(_ key: String) async throws -> Int {
                key.count
            }
            """
        } expansion: {
            ##"""
            func lookup(_ key: String) async throws -> Int {
                throw Isolated::Shipping.cachedOutsideWorker("lookup")
            }

            func _isolatedShipped(lookup _: Void) -> Isolated::ShippedDeclaration {
                .cached(
                    name: "lookup",
                    source: #"func lookup(_ key: String) async throws -> Int { try await IsolatedRunner::CachedFunctions.value(of: "lookup", arguments: [key], as: Int.self) {\#n    key.count\#n} }"#,
                    file: "Test.swift",
                    line: 2
                )
            }
            """##
        }
    }
}
