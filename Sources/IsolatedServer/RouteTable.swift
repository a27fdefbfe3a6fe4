import Synchronization

/// The router's routes, so a request for a known path with the wrong method gets `405` and the
/// methods it allows, rather than `404`.
final class RouteTable: Sendable {
    private let routes = Mutex<[(method: String, path: [Substring])]>([])

    func set(_ routes: [(method: String, path: String)]) {
        self.routes.withLock { $0 = routes.map { ($0.method, $0.path.split(separator: "/")) } }
    }

    /// The methods routes for `path` accept.
    func methods(for path: String) -> [String] {
        let components = path.split(separator: "/")
        return routes.withLock { routes in
            routes.filter { route in
                route.path.count == components.count
                    && zip(route.path, components).allSatisfy { pattern, component in
                        pattern == component || pattern.hasPrefix(":") || pattern.hasPrefix("{")
                    }
            }.map(\.method)
        }
    }
}
