/// Everything `quotad` is told by its flags.
public struct ServerConfiguration: Sendable {
    /// Where the store lives.
    public enum StoreKind: Sendable, Equatable {
        /// SQLite under a data directory (the default).
        case sqlite(directory: String)
        /// Nothing survives the process.
        case memory
        /// PostgreSQL, shared by several replicas (issue #9): a libpq URI, `postgres://USER@HOST:PORT/DATABASE`.
        case postgres(url: String)
    }

    /// Address to listen on; loopback by default.
    public var host: String = "127.0.0.1"
    /// TCP port; 0 picks a free one (printed at start-up).
    public var port: Int = 8080
    public var store: StoreKind = .sqlite(directory: "./data")
    /// Largest accepted request body, in bytes.
    public var maxBodyBytes: Int = 1 << 20
    /// Seconds a connection may sit idle or half-sent before it is closed.
    public var idleTimeoutSeconds: Int = 30
    /// Most open client connections.
    public var maxConnections: Int = 1024
    /// Most calls in one JSON-RPC batch.
    public var maxBatchSize: Int = 1000
    /// Seconds released and expired leases are remembered.
    public var retentionSeconds: Int64 = 3600
    /// The tokens file (issue #6); nil runs without authentication, which only a loopback
    /// `host` allows unless ``allowUnauthenticated`` is set.
    public var tokensFile: String?
    /// Serve without authentication on a non-loopback address (`--insecure-allow-unauthenticated`).
    public var allowUnauthenticated = false

    /// HTTPS: PEM certificate chain and key; both or neither.
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// PEM CA that client certificates must chain to (mutual TLS); needs the certificate and key.
    public var tlsClientCA: String?

    /// The most pools with per-pool metric series (`quota_pool_*`); cluster pools are kept first,
    /// then by path. 0 turns per-pool series off (issue #7).
    public var metricsMaxPools: Int = 1000

    /// True when `host` is a loopback address: `localhost`, `::1` or 127.0.0.0/8.
    public var listensOnLoopback: Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    public init() {}
}
