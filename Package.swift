// swift-tools-version:6.0
import PackageDescription

// Modules by layer: ShoalCore is the shared core both sides import (wire types, PKI,
// DSSE bundles, config, errors). Each side keeps its library apart from its thin
// executable so tests can drive the real code in-process.
let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "shoal",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "coordinator", targets: ["coordinator"]),
        .executable(name: "agent", targets: ["agent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .target(
            name: "ShoalCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/ShoalCore",
            swiftSettings: strict
        ),
        .target(
            name: "ShoalCommandLine",
            dependencies: [
                "ShoalCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/ShoalCommandLine",
            swiftSettings: strict
        ),
        .target(
            name: "ShoalClient",
            dependencies: [
                "ShoalCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/ShoalClient",
            swiftSettings: strict
        ),
        .target(
            name: "ShoalAgent",
            dependencies: [
                "ShoalCore",
                "ShoalClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "agent/Sources/ShoalAgent",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "agent",
            dependencies: [
                "ShoalAgent",
                "ShoalCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "agent/Sources/agent",
            swiftSettings: strict
        ),
        .target(
            name: "ShoalCoordinator",
            dependencies: [
                "ShoalCore",
                "ShoalClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            path: "coordinator/Sources/ShoalCoordinator",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "coordinator",
            dependencies: [
                "ShoalCoordinator",
                "ShoalCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            path: "coordinator/Sources/coordinator",
            swiftSettings: strict
        ),
        // The fleet simulator (docs/benchmarks.md): a development tool, never in a release
        // build or a package (scripts/build-release.sh builds the agent and coordinator only).
        .target(
            name: "ShoalSimulator",
            dependencies: [
                "ShoalCore",
                "ShoalClient",
                "ShoalAgent",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "sim/Sources/ShoalSimulator",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "shoal-sim",
            dependencies: [
                "ShoalSimulator",
                "ShoalCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "sim/Sources/shoal-sim",
            swiftSettings: strict
        ),
        .target(
            name: "ShoalTestSupport",
            dependencies: ["ShoalCore"],
            path: "Tests/ShoalTestSupport"
        ),
        .testTarget(
            name: "ShoalCoreTests",
            dependencies: ["ShoalCore", "ShoalTestSupport", .product(name: "X509", package: "swift-certificates")],
            path: "Tests/ShoalCoreTests"
        ),
        .testTarget(
            name: "ShoalAgentTests",
            dependencies: ["ShoalCore", "ShoalAgent", "ShoalTestSupport"],
            path: "Tests/ShoalAgentTests",
            // Captured tool output the tests read by path (#filePath), not bundle resources.
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "ShoalCoordinatorTests",
            dependencies: [
                "ShoalCore", "ShoalCoordinator", "ShoalClient", "ShoalTestSupport", .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOTLS", package: "swift-nio"),
            ],
            path: "Tests/ShoalCoordinatorTests"
        ),
        .testTarget(
            name: "ShoalSystemTests",
            dependencies: [
                "ShoalCore", "ShoalClient", "ShoalAgent", "ShoalCoordinator", "ShoalTestSupport", "ShoalSimulator",
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Tests/ShoalSystemTests"
        ),
    ]
)

// libFuzzer harnesses (fuzz/Sources), one executable each, on ShoalCore and nothing of the
// agent or coordinator. With SHOAL_FUZZ=1 the package is ShoalCore and the harnesses only, so
// scripts/fuzz.sh builds exactly them, with -sanitize=fuzzer,address, in its own scratch path.
// libFuzzer supplies `main`, so they would not link in a normal build, which stays as it was.
if Context.environment["SHOAL_FUZZ"] == "1" {
    let x509: Target.Dependency = .product(name: "X509", package: "swift-certificates")
    let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
    let harnesses: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzBundle", []), ("FuzzSelector", []), ("FuzzTaskFile", []), ("FuzzAgentBody", [x509, crypto]), ("FuzzCSR", [x509]),
    ]
    package.products = []
    package.targets = package.targets.filter { $0.name == "ShoalCore" }
    package.targets.append(.target(name: "FuzzSupport", path: "fuzz/Sources/FuzzSupport"))
    for harness in harnesses {
        package.targets.append(.executableTarget(
            name: harness.name, dependencies: ["ShoalCore", "FuzzSupport"] + harness.dependencies,
            path: "fuzz/Sources/\(harness.name)", swiftSettings: strict
        ))
    }
}
