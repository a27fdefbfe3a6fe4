import SwiftDiagnostics

/// Why a declaration cannot be `@Isolated`, worded as what to change.
enum IsolatedDiagnostic: DiagnosticMessage {
    case notAFunction(kind: String)
    case nested(function: String)
    case instanceMethod(function: String)
    case missingBody(function: String)
    case notAsyncThrows(function: String)
    case typedThrows(function: String, errorType: String)
    case generic(function: String)
    case unnamedParameter(parameter: String, function: String, suggestion: String)
    case inoutParameter(parameter: String, function: String)
    case closureParameter(parameter: String, function: String)
    case variadicParameter(parameter: String, function: String, arrayType: String)

    var message: String {
        switch self {
        case .notAFunction(let kind):
            "@Isolated can only be applied to functions; remove it from this \(kind)"
        case .nested(let function):
            "@Isolated cannot be applied to '\(function)' because it is nested inside another function; move it to the top level"
        case .instanceMethod(let function):
            "@Isolated can only be applied to top-level or static functions; '\(function)' is an instance method"
        case .missingBody(let function):
            "@Isolated function '\(function)' needs a body to ship"
        case .notAsyncThrows(let function):
            "@Isolated function '\(function)' must be 'async throws': every call crosses a process boundary and can fail"
        case .typedThrows(let function, let errorType):
            "@Isolated function '\(function)' cannot throw only '\(errorType)': a call can also fail in the engine "
                + "(a crash, a compile error), so it throws IsolatedError; the function's own error arrives inside it"
        case .generic(let function):
            "@Isolated function '\(function)' cannot be generic: its parameter and result types must be concrete "
                + "Codable & Sendable types the worker can decode"
        case .unnamedParameter(let parameter, let function, let suggestion):
            "\(parameter) of @Isolated function '\(function)' has no name; give it one, as in '\(suggestion)', "
                + "so its argument can be forwarded"
        case .inoutParameter(let parameter, let function):
            "\(parameter) of @Isolated function '\(function)' cannot be 'inout': arguments are copied to another process; "
                + "return the new value instead"
        case .closureParameter(let parameter, let function):
            "\(parameter) of @Isolated function '\(function)' is a closure, which cannot be sent to another process; "
                + "pass Codable data instead"
        case .variadicParameter(let parameter, let function, let arrayType):
            "\(parameter) of @Isolated function '\(function)' cannot be variadic: its arguments are sent as one array; "
                + "take '\(arrayType)' instead"
        }
    }

    var diagnosticID: MessageID {
        MessageID(domain: "IsolatedMacros", id: String(String(describing: self).prefix { $0 != "(" }))
    }

    var severity: DiagnosticSeverity { .error }
}
