// swift-tools-version: 6.2
import CompilerPluginSupport
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "isolated",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Isolated", targets: ["Isolated"]),
        .library(name: "IsolatedEngine", targets: ["IsolatedEngine"]),
        .executable(name: "isolated", targets: ["IsolatedCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swiftlang/swift-syntax", from: "603.0.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/pointfreeco/swift-macro-testing", from: "0.7.0"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // What users import: the macros, the call path and the embedded engine.
        .target(
            name: "Isolated",
            dependencies: ["IsolatedClient", "IsolatedCore", "IsolatedEngine", "IsolatedMacros"],
            swiftSettings: swiftSettings
        ),
        .macro(
            name: "IsolatedMacros",
            dependencies: [
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftSyntaxBuilder", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacros", package: "swift-syntax"),
                .product(name: "SwiftDiagnostics", package: "swift-syntax"),
                .product(name: "SwiftCompilerPlugin", package: "swift-syntax"),
            ],
            swiftSettings: swiftSettings
        ),
        // What every worker compiles with the engine: the runner protocol (frames, messages,
        // payload coding, Docs/RunnerProtocol.md), the errors and reports that cross it; Foundation only.
        .target(name: "IsolatedWire", swiftSettings: swiftSettings),
        // Types the SDK, engine and server share (function specs, requirements, machine types), over the wire types.
        .target(name: "IsolatedCore", dependencies: ["IsolatedWire"], swiftSettings: swiftSettings),
        // The loop inside every worker. Workers compile it from source (see Runtime); it is a
        // target here so the host type-checks and tests it.
        .target(name: "IsolatedRunner", dependencies: ["IsolatedWire"], swiftSettings: swiftSettings),
        .target(
            name: "IsolatedEngine",
            dependencies: [
                "IsolatedCore",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // The server's durable records: API keys and invocation history, in one SQLite file, on a
        // thread of its own. SQLite is sqlite-nio's vendored copy: its C module, VaporCSQLite,
        // comes with the SQLiteNIO product, which the store does not otherwise use.
        .target(
            name: "IsolatedStore",
            dependencies: [
                "IsolatedCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Talks to `isolated serve`: the API's wire types, and the types and client generated from
        // the server's openapi.json into Generated/ (scripts/generate-openapi.sh), on async-http-client.
        .target(
            name: "IsolatedClient",
            dependencies: [
                "IsolatedCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            ],
            exclude: ["Generated/openapi.json.sha256"],
            swiftSettings: swiftSettings
        ),
        // `isolated serve`: the engine behind an HTTP API (Hummingbird), with keys and history.
        .target(
            name: "IsolatedServer",
            dependencies: [
                "IsolatedClient",
                "IsolatedCore",
                "IsolatedEngine",
                "IsolatedStore",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["openapi.json"],
            swiftSettings: swiftSettings
        ),
        // The gRPC front door for the fal-serverless client (`controller.IsolateController`).
        // Generated/ is generated from Protos/ by scripts/generate-grpc.sh, and committed.
        .target(
            name: "IsolatedGRPC",
            dependencies: [
                "IsolatedCore",
                "IsolatedEngine",
                "IsolatedStore",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Protos"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "IsolatedCLI",
            dependencies: [
                "IsolatedClient",
                "IsolatedCore",
                "IsolatedGRPC",
                "IsolatedServer",
                "IsolatedStore",
                "IsolatedEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Demo",
            dependencies: ["Isolated"],
            path: "Examples/Demo",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench",
            dependencies: ["Isolated", "IsolatedClient", "IsolatedCore", "IsolatedEngine", "TestSupport"],
            path: "Benchmarks/bench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IsolatedMacrosTests",
            dependencies: [
                "IsolatedMacros",
                .product(name: "MacroTesting", package: "swift-macro-testing"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "IsolatedCoreTests", dependencies: ["IsolatedCore", "IsolatedWire"], swiftSettings: swiftSettings),
        .testTarget(name: "IsolatedClientTests", dependencies: ["IsolatedClient", "IsolatedCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "IsolatedEngineTests",
            dependencies: [
                "IsolatedEngine", "IsolatedCore", "TestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IsolatedStoreTests",
            dependencies: [
                "IsolatedStore",
                "IsolatedCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Helpers the test targets and the benchmark share: child processes, a server process, a manual clock.
        .target(
            name: "TestSupport",
            dependencies: [
                "IsolatedCore",
                "IsolatedEngine",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IsolatedServerTests",
            dependencies: [
                "TestSupport",
                "Isolated",
                "IsolatedClient",
                "IsolatedCore",
                "IsolatedEngine",
                "IsolatedServer",
                "IsolatedStore",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IsolatedTests",
            dependencies: ["Isolated", "IsolatedClient", "IsolatedCore", "IsolatedEngine", "TestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
