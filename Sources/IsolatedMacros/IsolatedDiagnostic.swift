import SwiftDiagnostics

/// Why a declaration cannot carry `@Isolated`, `@Cached` or `@Shippable` (the `attribute`), worded as what to change.
enum IsolatedDiagnostic: DiagnosticMessage {
    case notAFunction(attribute: String, kind: String)
    case nested(attribute: String, function: String)
    case instanceMethod(attribute: String, function: String)
    case missingBody(attribute: String, function: String)
    case notAsyncThrows(attribute: String, function: String)
    case typedThrows(attribute: String, function: String, errorType: String)
    case generic(attribute: String, function: String)
    case unnamedParameter(attribute: String, parameter: String, function: String, suggestion: String)
    case inoutParameter(attribute: String, parameter: String, function: String)
    case closureParameter(attribute: String, parameter: String, function: String)
    case variadicParameter(attribute: String, parameter: String, function: String, arrayType: String)
    case usesNotArrayLiteral
    case usesEntry
    case usesItself(function: String)
    case usesDuplicate(entry: String)
    case shippableKind(kind: String)
    case shippableNested(name: String)

    var message: String {
        switch self {
        case .notAFunction(let attribute, let kind):
            "\(attribute) can only be applied to functions; remove it from this \(kind)"
        case .nested(let attribute, let function):
            "\(attribute) cannot be applied to '\(function)' because it is nested inside another function; move it to the top level"
        case .instanceMethod(let attribute, let function):
            "\(attribute) can only be applied to top-level or static functions; '\(function)' is an instance method"
        case .missingBody(let attribute, let function):
            "\(attribute) function '\(function)' needs a body to ship"
        case .notAsyncThrows(let attribute, let function):
            "\(attribute) function '\(function)' must be 'async throws': "
                + (attribute == "@Cached"
                    ? "its first call computes the value, which takes time and can fail" : "every call crosses a process boundary and can fail")
        case .typedThrows(let attribute, let function, let errorType):
            attribute == "@Cached"
                ? "@Cached function '\(function)' cannot throw only '\(errorType)': its errors pass through the memo untyped; write 'async throws'"
                : "\(attribute) function '\(function)' cannot throw only '\(errorType)': a call can also fail in the engine "
                    + "(a crash, a compile error), so it throws IsolatedError; the function's own error arrives inside it"
        case .generic(let attribute, let function):
            "\(attribute) function '\(function)' cannot be generic: "
                + (attribute == "@Cached"
                    ? "its memo keeps one concrete result type, keyed by concrete Hashable arguments"
                    : "its parameter and result types must be concrete Codable & Sendable types the worker can decode")
        case .unnamedParameter(let attribute, let parameter, let function, let suggestion):
            "\(parameter) of \(attribute) function '\(function)' has no name; give it one, as in '\(suggestion)', "
                + "so its argument can be forwarded"
        case .inoutParameter(let attribute, let parameter, let function):
            "\(parameter) of \(attribute) function '\(function)' cannot be 'inout': "
                + (attribute == "@Cached" ? "arguments are the memo's key" : "arguments are copied to another process")
                + "; return the new value instead"
        case .closureParameter(let attribute, let parameter, let function):
            attribute == "@Cached"
                ? "\(parameter) of @Cached function '\(function)' is a closure, which cannot key the memo; pass Hashable data instead"
                : "\(parameter) of \(attribute) function '\(function)' is a closure, which cannot be sent to another process; "
                    + "pass Codable data instead"
        case .variadicParameter(let attribute, let parameter, let function, let arrayType):
            "\(parameter) of \(attribute) function '\(function)' cannot be variadic: its arguments "
                + (attribute == "@Cached" ? "key the memo" : "are sent") + " as one array; take '\(arrayType)' instead"
        case .usesNotArrayLiteral:
            "'uses:' must be an array literal of declaration names"
        case .usesEntry:
            "a 'uses:' entry names a declaration: a function ('helper'), a static function ('Type.helper') or a type ('Model.self')"
        case .usesItself(let function):
            "'\(function)' cannot list itself in 'uses:'; it can call itself without being listed"
        case .usesDuplicate(let entry):
            "'\(entry)' is listed more than once in 'uses:'"
        case .shippableKind(let kind):
            "@Shippable applies to top-level functions and types; remove it from this \(kind)"
        case .shippableNested(let name):
            "@Shippable applies to top-level functions and types; move '\(name)' to the top level"
        }
    }

    var diagnosticID: MessageID {
        MessageID(domain: "IsolatedMacros", id: String(String(describing: self).prefix { $0 != "(" }))
    }

    var severity: DiagnosticSeverity { .error }
}
