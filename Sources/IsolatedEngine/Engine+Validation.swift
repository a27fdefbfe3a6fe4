import IsolatedCore

extension Engine {
    /// Checks a call's settings before anything is built; returns its machine type.
    func validate(_ request: InvocationRequest, callers: [FunctionReference]) throws(IsolatedError) -> MachineTypeSpec {
        guard callers.count < configuration.maxNestingDepth else {
            let path = (callers + [request.function.reference]).map { "\($0.name)()" }.joined(separator: " → ")
            throw IsolatedError(
                code: .nestingTooDeep,
                message: "isolated calls nested \(callers.count + 1) deep (\(path)), past the limit of "
                    + "\(configuration.maxNestingDepth): a cycle or runaway recursion? Raise EngineConfiguration.maxNestingDepth if it is intended"
            )
        }
        guard request.keepAlive >= 0 else {
            throw IsolatedError(code: .invalidSetting, message: "keepAlive must be 0 or more seconds, not \(request.keepAlive)")
        }
        if let timeout = request.timeout, timeout < 1 {
            throw IsolatedError(code: .invalidSetting, message: "timeout must be 1 or more seconds, not \(timeout)")
        }
        if let retries = request.retries, retries < 0 {
            throw IsolatedError(code: .invalidSetting, message: "retries must be 0 or more, not \(retries)")
        }
        if let limit = request.maxConcurrency, limit < 1 {
            throw IsolatedError(code: .invalidSetting, message: "maxConcurrency must be 1 or more, not \(limit)")
        }
        if let minWarm = request.minWarm {
            guard minWarm >= 0 else { throw IsolatedError(code: .invalidSetting, message: "minWarm must be 0 or more, not \(minWarm)") }
            if let limit = request.maxConcurrency, minWarm > limit {
                throw IsolatedError(code: .invalidSetting, message: "minWarm (\(minWarm)) is more than maxConcurrency (\(limit)) allows")
            }
        }
        let machine = try configuration.machineTypes.spec(for: request.machineType)
        if let shortfall = capacity.shortfall(of: machine) {
            let usable = configuration.machineTypes.types.filter { capacity.shortfall(of: $0) == nil }.map(\.name)
            throw IsolatedError(
                code: .machineTypeUnavailable,
                message: "machine type \(machine.name) needs \(shortfall), so it can never run here; "
                    + "types this machine can run: \(usable.joined(separator: ", "))"
            )
        }
        return machine
    }
}
