// swift-tools-version: 5.9
// A local package for tests of `.path` requirements.
import PackageDescription

let package = Package(
    name: "Greeting",
    products: [.library(name: "Greeting", targets: ["Greeting"])],
    targets: [.target(name: "Greeting")]
)
