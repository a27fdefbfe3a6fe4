package import IsolatedCore
import Synchronization

extension Engine {
    /// Checks a call's requirements, settings and machine type as ``invoke(_:events:)`` will,
    /// without running it: a front door refuses a call that would fail this way before it
    /// answers. Each setting is checked alone; what only the settings together can break (a
    /// `minWarm` above `maxConcurrency`) is left for the call to fail with.
    package nonisolated func check(_ request: InvocationRequest) throws(IsolatedError) {
        for requirement in request.requirements { _ = try requirement.validated() }
        try Self.checkShipped(request.function.dependencies)
        _ = try validate(
            function: request.function.reference, keepAlive: request.keepAlive, timeout: request.timeout, retries: request.retries,
            maxConcurrency: request.maxConcurrency, minWarm: request.minWarm, machineType: request.machineType, callers: [],
            acrossSettings: false)
    }

    /// The names of the catalog's types this engine can run: those the machine (or the cluster)
    /// has room for, in the catalog's order.
    package nonisolated var runnableMachineTypes: [String] {
        let unplaceable = self.unplaceable.withLock { $0 }
        return configuration.machineTypes.types.filter { unplaceable[$0.name] == nil && capacity.shortfall(of: $0) == nil }.map(\.name)
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
        callers: [FunctionReference],
        acrossSettings: Bool = true
    ) throws(IsolatedError) -> MachineTypeSpec {
        guard callers.count < configuration.maxNestingDepth else {
            let path = (callers + [function]).map { "\($0.name)()" }.joined(separator: " → ")
            throw IsolatedError(
                code: .nestingTooDeep,
                message: "isolated calls nested \(callers.count + 1) deep (\(path)), past the limit of "
                    + "\(configuration.maxNestingDepth): a cycle or runaway recursion? Raise EngineConfiguration.maxNestingDepth if it is intended"
            )
        }
        try Self.checkSettings(
            keepAlive: keepAlive, timeout: timeout, retries: retries, maxConcurrency: maxConcurrency, minWarm: minWarm,
            acrossSettings: acrossSettings)
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

    /// Checks each setting of a call on its own, and with `acrossSettings` how they combine.
    private static func checkSettings(
        keepAlive: Int, timeout: Int?, retries: Int?, maxConcurrency: Int?, minWarm: Int?, acrossSettings: Bool
    ) throws(IsolatedError) {
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
            if acrossSettings, let limit = maxConcurrency, minWarm > limit {
                throw IsolatedError(code: .invalidSetting, message: "minWarm (\(minWarm)) is more than maxConcurrency (\(limit)) allows")
            }
        }
    }

    /// Checks the settings and requirements of the isolated functions a call ships, and theirs,
    /// each on its own: their machine types and how their settings combine are checked when
    /// they are called.
    private static func checkShipped(_ dependencies: [ShippedSource]) throws(IsolatedError) {
        for dependency in dependencies {
            guard let call = dependency.call else { continue }
            do {
                try checkSettings(
                    keepAlive: call.keepAlive, timeout: call.timeout, retries: call.retries, maxConcurrency: call.maxConcurrency,
                    minWarm: call.minWarm, acrossSettings: false)
                for requirement in call.requirements { _ = try requirement.validated() }
                try checkShipped(call.function.dependencies)
            } catch {
                var error = error
                error.message = "\(dependency.name), shipped with the call: \(error.message)"
                throw error
            }
        }
    }
}
