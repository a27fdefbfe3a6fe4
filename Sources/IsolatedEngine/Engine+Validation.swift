package import IsolatedCore
import Synchronization

extension Engine {
    /// Checks a call's settings before anything is built; returns its machine type.
    /// Checks a call's settings and machine type as ``invoke(_:events:)`` will, without running
    /// it: a front door refuses a call that would fail this way before it answers.
    package nonisolated func check(_ request: InvocationRequest) throws(IsolatedError) {
        _ = try validate(request, callers: [])
    }

    nonisolated func validate(_ request: InvocationRequest, callers: [FunctionReference]) throws(IsolatedError) -> MachineTypeSpec {
        try validate(
            function: request.function.reference, keepAlive: request.keepAlive, timeout: request.timeout, retries: request.retries,
            maxConcurrency: request.maxConcurrency, minWarm: request.minWarm, machineType: request.machineType, callers: callers)
    }

    /// Checks settings a call of any runtime has.
    nonisolated func validate(
        function: FunctionReference,
        keepAlive: Int,
        timeout: Int?,
        retries: Int? = nil,
        maxConcurrency: Int?,
        minWarm: Int? = nil,
        machineType: MachineType,
        callers: [FunctionReference]
    ) throws(IsolatedError) -> MachineTypeSpec {
        guard callers.count < configuration.maxNestingDepth else {
            let path = (callers + [function]).map { "\($0.name)()" }.joined(separator: " → ")
            throw IsolatedError(
                code: .nestingTooDeep,
                message: "isolated calls nested \(callers.count + 1) deep (\(path)), past the limit of "
                    + "\(configuration.maxNestingDepth): a cycle or runaway recursion? Raise EngineConfiguration.maxNestingDepth if it is intended"
            )
        }
        guard keepAlive >= 0 else {
            throw IsolatedError(code: .invalidSetting, message: "keepAlive must be 0 or more seconds, not \(keepAlive)")
        }
        if let timeout, timeout < 1 {
            throw IsolatedError(code: .invalidSetting, message: "timeout must be 1 or more seconds, not \(timeout)")
        }
        if let retries, retries < 0 {
            throw IsolatedError(code: .invalidSetting, message: "retries must be 0 or more, not \(retries)")
        }
        if let limit = maxConcurrency, limit < 1 {
            throw IsolatedError(code: .invalidSetting, message: "maxConcurrency must be 1 or more, not \(limit)")
        }
        if let minWarm {
            guard minWarm >= 0 else { throw IsolatedError(code: .invalidSetting, message: "minWarm must be 0 or more, not \(minWarm)") }
            if let limit = maxConcurrency, minWarm > limit {
                throw IsolatedError(code: .invalidSetting, message: "minWarm (\(minWarm)) is more than maxConcurrency (\(limit)) allows")
            }
        }
        let machine = try configuration.machineTypes.spec(for: machineType)
        let unplaceable = self.unplaceable.withLock { $0 }
        if let reason = unplaceable[machine.name] {
            let usable = configuration.machineTypes.types.map(\.name).filter { unplaceable[$0] == nil }
            throw IsolatedError(
                code: .machineTypeUnavailable,
                message: "machine type \(machine.name) can never run: \(reason); types the cluster can run: \(usable.joined(separator: ", "))"
            )
        }
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
