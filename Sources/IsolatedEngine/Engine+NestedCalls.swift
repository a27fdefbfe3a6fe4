import IsolatedCore

/// What a nested call needs from the call that made it.
struct NestedCallContext: Sendable {
    /// The caller's settings, which its nested calls inherit.
    var caller: CallTemplate
    /// The caller's runner, whose channel carries the reply and whose deadline bounds the call.
    var lease: RunnerScheduler.Lease
    /// Ends when the caller's call ends, cancelling what is left of its nested calls.
    var scope: CallScope
    /// The callers, outermost first, the caller included.
    var callers: [FunctionReference]
}

extension Engine {
    /// Runs a nested call a worker made and sends the outcome back on its channel. The call
    /// names the function; its settings are the ones its caller was called with.
    func serveNestedCall(
        _ id: UInt64,
        of function: String,
        _ arguments: [[UInt8]],
        in context: NestedCallContext,
        events: @escaping @Sendable (InvocationEvent) -> Void
    ) async {
        let runner = context.lease.runnerID
        await scheduler.nestedCall(of: runner, started: true)
        let outcome: Result<InvocationResult, IsolatedError>
        if let template = context.caller.nestedCall(function) {
            let request = template.request(arguments: arguments)
            // Cancelled if the call that made it ends first.
            outcome = await context.scope.bound {
                do throws(IsolatedError) {
                    return .success(try await self.invoke(request, events: events, callers: context.callers, callerDeadline: context.lease.deadline))
                } catch {
                    return .failure(error)
                }
            }
        } else {
            outcome = .failure(
                IsolatedError(
                    code: .invalidShipment,
                    message: "\(context.caller.function.reference) called \(function)(), which it does not ship; list it in uses:"
                ))
        }
        await scheduler.nestedCall(of: runner, started: false)
        switch outcome {
        case .success(let result): context.lease.handle.reply(.callReturned(id: id, result: result.payload))
        case .failure(let error): context.lease.handle.reply(.callFailed(id: id, error: (try? PayloadCoding.encode(error)) ?? []))
        }
    }
}
