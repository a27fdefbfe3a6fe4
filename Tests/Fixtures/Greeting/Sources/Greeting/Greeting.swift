/// Greets someone; only environments that require this package can call it.
public func greeting(for name: String) -> String {
    "Hello, \(name), from a local package"
}
