// swift-tools-version:6.1
import PackageDescription

/// Settings shared by every Swift target: Swift 6 language mode is the default for
/// tools 6.x; these upcoming features keep imports and existentials explicit.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// Tests import what they use without listing every defining module.
let testSwiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "agentcache",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "agentcache", targets: ["agentcache"]),
        .library(name: "AgentCacheCore", targets: ["AgentCacheCore"]),
        .library(name: "AgentCacheServer", targets: ["AgentCacheServer"]),
    ],
    dependencies: [
        // traits: [] drops Hummingbird's swift-configuration and full-Foundation extras we do not use.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // System libraries from Debian's -dev packages; each is a module map and a one-line shim.
        .systemLibrary(
            name: "CXXHash",
            pkgConfig: "libxxhash",
            providers: [.apt(["libxxhash-dev"])]
        ),
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        // No pkgConfig: hiredis's .pc adds a -D flag SwiftPM refuses to pass through.
        .systemLibrary(
            name: "CHiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),

        // The engine: keys, canonical JSON, namespaces, codec, edge tier. No HTTP.
        .target(
            name: "AgentCacheCore",
            dependencies: [
                "CXXHash",
                "CLZ4",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The dated price table of the savings accounting, compiled into the binary
            // (`PackageResources.prices_json`): no resource bundle to ship beside the executable.
            resources: [.embedInCode("Savings/prices.json")],
            swiftSettings: swiftSettings
        ),
        // The Redis tier: the only importer of CHiredis. Blocking hiredis calls run on their own threads.
        .target(
            name: "AgentCacheRedis",
            dependencies: [
                "AgentCacheCore",
                "CHiredis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // API keys, tenants and limits: keys, stores (file, Redis), rate/concurrency/quota. No HTTP.
        .target(
            name: "AgentCacheAuth",
            dependencies: [
                "AgentCacheCore",
                "AgentCacheRedis",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The origin tier: S3-compatible pull-through (SigV4, object identity, SSRF guard, fetcher). No server HTTP.
        .target(
            name: "AgentCacheOrigin",
            dependencies: [
                "AgentCacheCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP layer: Hummingbird routes, errors -> HTTP, metrics.
        .target(
            name: "AgentCacheServer",
            dependencies: [
                "AgentCacheCore",
                "AgentCacheRedis",
                "AgentCacheAuth",
                "AgentCacheOrigin",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The executable: argument parsing and bootstrap only.
        .executableTarget(
            name: "agentcache",
            dependencies: [
                "AgentCacheServer",
                "AgentCacheCore",
                "AgentCacheOrigin",
                "AgentCacheRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(
            name: "AgentCacheCoreTests",
            dependencies: ["AgentCacheCore"],
            swiftSettings: testSwiftSettings
        ),
        // Test-only helpers shared by test targets: a real redis-server or moto S3 server per test.
        .target(
            name: "AgentCacheTestSupport",
            dependencies: [
                "AgentCacheRedis",
                "AgentCacheOrigin",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/AgentCacheTestSupport",
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "AgentCacheRedisTests",
            dependencies: ["AgentCacheRedis", "AgentCacheCore", "AgentCacheTestSupport"],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "AgentCacheOriginTests",
            dependencies: ["AgentCacheOrigin", "AgentCacheCore", "AgentCacheTestSupport"],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "AgentCacheAuthTests",
            dependencies: ["AgentCacheAuth", "AgentCacheCore", "AgentCacheRedis", "AgentCacheTestSupport"],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "AgentCacheServerTests",
            dependencies: [
                "AgentCacheServer",
                "AgentCacheAuth",
                "AgentCacheCore",
                "AgentCacheRedis",
                "AgentCacheOrigin",
                "AgentCacheTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: testSwiftSettings
        ),
    ]
)
