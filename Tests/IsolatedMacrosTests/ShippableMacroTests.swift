import IsolatedMacros
import MacroTesting
import Testing

@Suite("@Shippable expansion", .macros(["Shippable": ShippableMacro.self]))
struct ShippableMacroTests {
    @Test("A struct ships whole, members and all, with the attribute's line left empty")
    func structWithMembers() {
        assertMacro {
            #"""
            /// A model the workers load.
            @Shippable
            public struct Model: Codable, Sendable {
                var weights: [Double]

                func score(_ value: Double) -> Double {
                    let total = weights.reduce(0, +)
                    return total * value // "scaled"
                }
            }
            """#
        } expansion: {
            ##"""
            /// A model the workers load.
            public struct Model: Codable, Sendable {
                var weights: [Double]

                func score(_ value: Double) -> Double {
                    let total = weights.reduce(0, +)
                    return total * value // "scaled"
                }
            }

            public func _isolatedShipped(Model _: Void) -> Isolated::ShippedDeclaration {
                .shippable(
                    name: "Model",
                    source: #"public struct Model: Codable, Sendable {\#n    var weights: [Double]\#n\#n    func score(_ value: Double) -> Double {\#n        let total = weights.reduce(0, +)\#n        return total * value // "scaled"\#n    }\#n}"#,
                    file: "Test.swift",
                    line: 3
                )
            }
            """##
        }
    }

    @Test("A function ships as written: it need not be async or throwing, and may be generic")
    func function() {
        assertMacro {
            """
            @Shippable @inlinable
            func normalized<T: BinaryFloatingPoint>(_ values: [T]) -> [T] {
                let total = values.reduce(0, +)
                return values.map { $0 / total }
            }
            """
        } expansion: {
            #"""
            @inlinable
            func normalized<T: BinaryFloatingPoint>(_ values: [T]) -> [T] {
                let total = values.reduce(0, +)
                return values.map { $0 / total }
            }

            func _isolatedShipped(normalized _: Void) -> Isolated::ShippedDeclaration {
                .shippable(
                    name: "normalized",
                    source: "@inlinable\nfunc normalized<T: BinaryFloatingPoint>(_ values: [T]) -> [T] {\n    let total = values.reduce(0, +)\n    return values.map { $0 / total }\n}",
                    file: "Test.swift",
                    line: 1
                )
            }
            """#
        }
    }

    @Test("A private enum's peer is fileprivate, so every function in the file can ship it")
    func privateEnum() {
        assertMacro {
            """
            @Shippable
            private enum Mode: String, Codable {
                case fast, precise
            }
            """
        } expansion: {
            #"""
            private enum Mode: String, Codable {
                case fast, precise
            }

            fileprivate func _isolatedShipped(Mode _: Void) -> Isolated::ShippedDeclaration {
                .shippable(
                    name: "Mode",
                    source: "private enum Mode: String, Codable {\n    case fast, precise\n}",
                    file: "Test.swift",
                    line: 2
                )
            }
            """#
        }
    }

    @Test("Classes, actors, protocols and type aliases ship too")
    func otherTypes() {
        assertMacro {
            """
            @Shippable
            final class Counter {
                var count = 0
            }

            @Shippable
            package actor Ledger {}

            @Shippable
            protocol Scorer {
                func score(_ value: Double) -> Double
            }

            @Shippable
            typealias Weights = [String: Double]
            """
        } expansion: {
            #"""
            final class Counter {
                var count = 0
            }

            func _isolatedShipped(Counter _: Void) -> Isolated::ShippedDeclaration {
                .shippable(
                    name: "Counter",
                    source: "final class Counter {\n    var count = 0\n}",
                    file: "Test.swift",
                    line: 2
                )
            }
            package actor Ledger {}

            package func _isolatedShipped(Ledger _: Void) -> Isolated::ShippedDeclaration {
                .shippable(
                    name: "Ledger",
                    source: "package actor Ledger {}",
                    file: "Test.swift",
                    line: 7
                )
            }
            protocol Scorer {
                func score(_ value: Double) -> Double
            }

            func _isolatedShipped(Scorer _: Void) -> Isolated::ShippedDeclaration {
                .shippable(
                    name: "Scorer",
                    source: "protocol Scorer {\n    func score(_ value: Double) -> Double\n}",
                    file: "Test.swift",
                    line: 10
                )
            }
            typealias Weights = [String: Double]

            func _isolatedShipped(Weights _: Void) -> Isolated::ShippedDeclaration {
                .shippable(
                    name: "Weights",
                    source: "typealias Weights = [String: Double]",
                    file: "Test.swift",
                    line: 15
                )
            }
            """#
        }
    }

    @Test("Variables and extensions cannot be shipped")
    func unsupportedDeclarations() {
        assertMacro {
            """
            @Shippable
            let threshold = 0.5

            @Shippable
            extension Model {}
            """
        } diagnostics: {
            """
            @Shippable
            ┬─────────
            ╰─ 🛑 @Shippable applies to top-level functions and types; remove it from this variable
            let threshold = 0.5

            @Shippable
            ┬─────────
            ╰─ 🛑 @Shippable applies to top-level functions and types; remove it from this extension
            extension Model {}
            """
        }
    }

    @Test("Nested types and member functions cannot be shipped: the worker compiles declarations at top level")
    func nestedDeclarations() {
        assertMacro {
            """
            enum Namespace {
                @Shippable
                struct Inner {}

                @Shippable
                static func helper() -> Int { 1 }
            }

            func outer() {
                @Shippable
                func local() {}
            }
            """
        } diagnostics: {
            """
            enum Namespace {
                @Shippable
                struct Inner {}
                       ┬────
                       ╰─ 🛑 @Shippable applies to top-level functions and types; move 'Inner' to the top level

                @Shippable
                static func helper() -> Int { 1 }
                            ┬─────
                            ╰─ 🛑 @Shippable applies to top-level functions and types; move 'helper' to the top level
            }

            func outer() {
                @Shippable
                func local() {}
                     ┬────
                     ╰─ 🛑 @Shippable applies to top-level functions and types; move 'local' to the top level
            }
            """
        }
    }
}
