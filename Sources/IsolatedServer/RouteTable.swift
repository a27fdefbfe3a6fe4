import Synchronization

/// The router's routes, so a request for a known path with the wrong method gets `405` and the
/// methods it allows, rather than `404`.
final class RouteTable: Sendable {
    private let routes = Mutex<[(method: String, path: [Substring])]>([])

    func set(_ routes: [(method: String, path: String)]) {
        self.routes.withLock { $0 = routes.map { ($0.method, $0.path.split(separator: "/")) } }
    }

    /// The methods the routes for `path` accept. Like the router, a route that names a component
    /// outright wins over one that matches it with a parameter: `/v1/environments/gc` is the
    /// collection route, not an environment called `gc`.
    func methods(for path: String) -> [String] {
        let components = path.split(separator: "/")
        return routes.withLock { routes in
            let matching = routes.compactMap { route -> (method: String, literals: [Bool])? in
                guard route.path.count == components.count else { return nil }
                var literals: [Bool] = []
                for (pattern, component) in zip(route.path, components) {
                    if pattern == component {
                        literals.append(true)
                    } else if pattern.hasPrefix(":") || pattern.hasPrefix("{") {
                        literals.append(false)
                    } else {
                        return nil
                    }
                }
                return (route.method, literals)
            }
            // Components compared left to right, a literal before a parameter, as the router's trie decides.
            guard let best = matching.map(\.literals).max(by: { $0.lexicographicallyPrecedes($1) { !$0 && $1 } }) else { return [] }
            return matching.filter { $0.literals == best }.map(\.method)
        }
    }
}
