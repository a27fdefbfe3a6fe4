public import IsolatedCore

/// What the macros' expansions call to collect a function's `uses:`.
///
/// Each marked declaration has a peer `_isolatedShipped(name: ())`; an entry that names an
/// unmarked declaration reaches ``_isolatedShipped`` instead, whose result only the unavailable
/// overload of ``declaration(_:)-(NotShippable)`` accepts, so the compiler reports how to mark it.
public enum Shipping {
    /// A `@Cached` or `@Shippable` declaration.
    public static func declaration(_ declaration: ShippedDeclaration) -> ShippedDeclaration { declaration }

    /// An isolated function, shipped as a stub that makes nested isolated calls.
    public static func declaration(_ function: IsolatedFunction) -> ShippedDeclaration { .isolated(function) }

    /// An entry that is not marked: a compile-time error that says how to mark it.
    @available(
        *,
        unavailable,
        message: "this 'uses:' entry cannot be shipped: mark the function or type with @Shippable (or make the function @Isolated or @Cached)"
    )
    public static func declaration(_ missing: NotShippable) -> ShippedDeclaration { fatalError("unreachable") }

    /// The error a `@Cached` function throws when called outside a worker.
    public static func cachedOutsideWorker(_ name: String) -> IsolatedError {
        IsolatedError(
            code: .notInWorker,
            message: "\(name)() is @Cached: it runs only inside isolated functions that list it in 'uses:'"
        )
    }
}

/// What an unmarked `uses:` entry resolves to; no overload of ``Shipping/declaration(_:)-(ShippedDeclaration)`` that is available accepts it.
public struct NotShippable: Sendable {
    fileprivate init() {}
}

/// The fallback for `_isolatedShipped(name: ())` when `name` has no peer from a marking macro.
@dynamicCallable
public struct UnmarkedDeclarationLookup: Sendable {
    /// Yields ``NotShippable`` for any label.
    public func dynamicallyCall(withKeywordArguments arguments: KeyValuePairs<String, Void>) -> NotShippable { NotShippable() }
}

/// Reached only by `uses:` entries that name unmarked declarations; see ``Shipping``.
public let _isolatedShipped = UnmarkedDeclarationLookup()
