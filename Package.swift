// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "quotad",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "quotad", targets: ["quotad"]),
        .executable(name: "quotactl", targets: ["quotactl"]),
        .executable(name: "quota-load", targets: ["quota-load"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // C libraries from Debian's packages, found with pkg-config.
        .systemLibrary(
            name: "CLibevent",
            pkgConfig: "libevent",
            providers: [.apt(["libevent-dev", "libssl-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CLibpq",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),

        // Pure quota decisions: Quantity, ResourceList, pools, leases, the ledger. No I/O.
        .target(
            name: "QuotaCore",
            dependencies: [.product(name: "HeapModule", package: "swift-collections")]
        ),
        // Strict RFC 8259 JSON text reader and writer.
        .target(name: "JSON"),
        // JSON-RPC 2.0 envelopes, batches, errors, params and dispatch.
        .target(name: "JSONRPC", dependencies: ["JSON"]),
        // The libevent event loop, timers and evhttp server.
        .target(name: "EventHTTP", dependencies: ["CLibevent"]),
        // A swift-log handler that writes one JSON or text line per event to standard error.
        .target(
            name: "StructuredLog",
            dependencies: ["JSON", .product(name: "Logging", package: "swift-log")]
        ),
        // Who may call what: principals, roles, pool scopes, the tokens file (SHA-256 digests only).
        .target(
            name: "QuotaAuth",
            dependencies: ["QuotaCore", "CCrypto", .product(name: "Yams", package: "Yams")]
        ),
        // Durable ledger storage: SQLite, and an in-memory store.
        .target(name: "QuotaStore", dependencies: ["QuotaCore", "CSQLite", "JSON"]),
        // The shared store of several replicas: PostgreSQL through libpq on the libevent loop.
        .target(name: "QuotaPostgres", dependencies: ["QuotaCore", "QuotaStore", "JSON", "EventHTTP", "CLibpq"]),
        // The quotad service: RPC methods over the ledger, group commit, expiry timer, HTTP routes.
        .target(
            name: "QuotaServer",
            dependencies: [
                "QuotaCore", "QuotaStore", "QuotaPostgres", "QuotaAuth", "JSON", "JSONRPC", "EventHTTP", "CCrypto",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Resources/openrpc.json")]
        ),
        // Thin executable: flags, then QuotaServer.
        .executableTarget(
            name: "quotad",
            dependencies: [
                "QuotaServer", "QuotaPostgres",
                "QuotaAuth",
                "StructuredLog",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // JSON-RPC 2.0 over HTTP on libcurl's easy API: calls, batches, typed errors.
        .target(name: "QuotaClient", dependencies: ["CCurl", "JSON", "JSONRPC"]),
        // Kubernetes objects quotactl reads (VMI, ResourceQuota, Namespace) and reservation planning.
        .target(
            name: "KubernetesManifests",
            dependencies: ["QuotaCore", "JSON", .product(name: "Yams", package: "Yams")]
        ),
        // Thin executable: the operator's and script's client of quotad.
        .executableTarget(
            name: "quotactl",
            dependencies: [
                "QuotaClient", "KubernetesManifests", "QuotaCore", "JSON", "JSONRPC",
                .product(name: "Yams", package: "Yams"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The load engine of quota-load: virtual migration controllers over libevent's evhttp
        // client, HDR latency histograms, the end-of-run correctness check (issue 8).
        .target(
            name: "QuotaLoad",
            dependencies: ["CLibevent", "EventHTTP", "JSON", "QuotaCore", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        // Thin executable: flags, then QuotaLoad.
        .executableTarget(
            name: "quota-load",
            dependencies: [
                "QuotaLoad",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Helpers the test targets share: a seeded generator, the fixtures beside the repository.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "QuotaCoreTests", dependencies: ["QuotaCore", "TestSupport"]),
        .testTarget(name: "QuotaAuthTests", dependencies: ["QuotaAuth", "QuotaCore"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON", "TestSupport"]),
        .testTarget(name: "JSONRPCTests", dependencies: ["JSONRPC", "JSON", "TestSupport"]),
        .testTarget(name: "EventHTTPTests", dependencies: ["EventHTTP"]),
        .testTarget(name: "StructuredLogTests", dependencies: ["StructuredLog", "JSON", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "QuotaServerTests",
            dependencies: ["QuotaServer", "QuotaCore", "QuotaStore", "QuotaAuth", "JSON", "JSONRPC", .product(name: "Prometheus", package: "swift-prometheus")]
        ),
        .testTarget(name: "KubernetesManifestsTests", dependencies: ["KubernetesManifests", "QuotaCore", "TestSupport"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["QuotaCore", "QuotaStore", "QuotaPostgres", "EventHTTP", "QuotaAuth", "QuotaClient", "JSON", "TestSupport"]
        ),
        .testTarget(name: "QuotaLoadTests", dependencies: ["QuotaLoad", "JSON"]),
    ]
)
