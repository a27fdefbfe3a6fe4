extension IsolatedError: Hashable {
    /// Two errors are equal when they say the same: everything but the ``underlying`` error,
    /// which is neither encoded nor comparable.
    public static func == (lhs: IsolatedError, rhs: IsolatedError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.function == rhs.function && lhs.chain == rhs.chain
            && lhs.remote == rhs.remote && lhs.details == rhs.details && lhs.logTail == rhs.logTail && lhs.report == rhs.report
    }

    /// Hashes what ``==`` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
        hasher.combine(function)
        hasher.combine(chain)
        hasher.combine(remote)
        hasher.combine(details)
        hasher.combine(logTail)
        hasher.combine(report)
    }
}
