// swift-tools-version:6.2
import PackageDescription

// Dependency direction is fixed (docs/architecture.md): Model ← Store ← APIServer ← CLI; Model ← Client ←
// Controllers ← Agent ← CLI; PKI ← Client (join tokens); CRI (the runtime protocol) ← Agent and ← Containerd (its
// gRPC implementation) ← CLI; Tunnel (Model only, no I/O) ← TunnelTransport (WebSocket) ← APIServer (the tunnel's
// listening end) and ← Agent (its dialing end); DNS (Model only, no I/O) ← Agent. A target may only import what
// sits below it.
let package = Package(
    name: "skiff",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "skiff", targets: ["skiff"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // Pure core: JSON, schema registry, selectors, patches. Foundation only.
        .target(name: "SkiffModel"),
        .target(
            name: "SkiffStore",
            dependencies: [
                "SkiffModel",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The same revision log on a shared PostgreSQL database (several servers, one cluster). A target of its own so
        // that nothing on the SQLite path links PostgresNIO.
        .target(
            name: "SkiffPostgresStore",
            dependencies: [
                "SkiffStore", "SkiffModel",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "SkiffPKI",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .target(name: "SkiffTunnel", dependencies: ["SkiffModel"]),
        // Cluster DNS, pure: the DNS message codec and the answers for the cluster domain from a snapshot of
        // Services and EndpointSlices. The agent serves it over UDP and TCP.
        .target(name: "SkiffDNS", dependencies: ["SkiffModel"]),
        // zlib (Debian: zlib1g-dev), for SPDY's header compression.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // SPDY/3.1 framing, pure but for zlib: kubelet's streaming protocols toward containerd and inside kubectl's
        // port-forward WebSocket.
        .target(name: "SkiffSPDY", dependencies: ["CZlib"]),
        // The tunnel over a WebSocket, for both ends: NIOWebSocket frames, WSCore's pings and close handshake.
        .target(
            name: "SkiffTunnelTransport",
            dependencies: [
                "SkiffTunnel", "SkiffSPDY",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "WSCore", package: "swift-websocket"),
            ]
        ),
        .target(
            name: "SkiffAPIServer",
            dependencies: [
                "SkiffModel", "SkiffStore", "SkiffPKI", "SkiffTunnel", "SkiffTunnelTransport", "SkiffClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "SkiffClient",
            dependencies: [
                "SkiffModel", "SkiffPKI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "SkiffControllers",
            dependencies: [
                "SkiffModel", "SkiffClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "SkiffCRI"),
        // containerd behind the SkiffCRI protocol: CRI gRPC client, config, child process, image import.
        .target(
            name: "SkiffContainerd",
            dependencies: [
                "SkiffCRI", "SkiffModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "SkiffAgent",
            dependencies: [
                "SkiffModel", "SkiffClient", "SkiffCRI", "SkiffControllers", "SkiffTunnel", "SkiffTunnelTransport",
                "SkiffPKI",
                "SkiffDNS",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "SkiffCLI",
            dependencies: [
                "SkiffModel", "SkiffStore", "SkiffPKI", "SkiffAPIServer", "SkiffClient",
                "SkiffControllers", "SkiffAgent", "SkiffContainerd", "SkiffTunnel", "SkiffPostgresStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "skiff",
            dependencies: ["SkiffCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            plugins: ["BuildInfo"]
        ),
        // The git commit the binary is built from, for /version.
        .plugin(name: "BuildInfo", capability: .buildTool()),
        // Benchmarks: one executable, one subcommand per benchmark (bench/*/run.sh call it on a release build).
        .executableTarget(
            name: "skiff-bench",
            dependencies: [
                "SkiffStore", "SkiffAPIServer", "SkiffControllers", "SkiffAgent", "SkiffClient", "SkiffModel",
                // The fake ClusterAPI feeds the service-network benchmarks their synthetic Services.
                "SkiffTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "bench/Sources/skiff-bench"
        ),
        .target(
            name: "SkiffTesting",
            dependencies: [
                "SkiffStore", "SkiffCRI", "SkiffModel", "SkiffClient", "SkiffAPIServer", "SkiffPKI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        .testTarget(name: "SkiffModelTests", dependencies: ["SkiffModel"]),
        .testTarget(name: "SkiffStoreTests", dependencies: ["SkiffStore", "SkiffPostgresStore", "SkiffTesting"]),
        .testTarget(
            name: "SkiffPostgresStoreTests",
            dependencies: [
                "SkiffPostgresStore", "SkiffStore", "SkiffTesting", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "SkiffPKITests", dependencies: ["SkiffPKI"]),
        .testTarget(name: "SkiffTunnelTests", dependencies: ["SkiffTunnel"]),
        .testTarget(name: "SkiffDNSTests", dependencies: ["SkiffDNS", "SkiffModel"]),
        .testTarget(name: "SkiffSPDYTests", dependencies: ["SkiffSPDY", "CZlib"]),
        .testTarget(
            name: "SkiffAPIServerTests",
            dependencies: [
                "SkiffAPIServer", "SkiffPKI", "SkiffTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "SkiffClientTests",
            dependencies: [
                "SkiffClient", "SkiffPKI", "SkiffTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SkiffControllersTests",
            dependencies: [
                "SkiffControllers", "SkiffTesting",
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "SkiffAgentTests",
            dependencies: [
                "SkiffAgent", "SkiffTesting", "SkiffCRI", "SkiffControllers", "SkiffTunnel",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(name: "SkiffCLITests", dependencies: ["SkiffCLI", "SkiffTesting"]),
        .testTarget(
            name: "SkiffContainerdTests",
            dependencies: ["SkiffContainerd", "SkiffTesting", .product(name: "NIOCore", package: "swift-nio")],
            exclude: ["Fixtures"]
        ),
    ]
)
