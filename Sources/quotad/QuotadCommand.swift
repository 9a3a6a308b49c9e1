import ArgumentParser
import Logging
import QuotaAuth
import QuotaPostgres
import QuotaServer
import StructuredLog
#if canImport(Glibc)
import Glibc
#endif

/// `quotad`: parses flags and runs ``QuotaServer``.
@main
struct QuotadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quotad",
        abstract: "Keeps migration quota headroom for Kubernetes clusters: a JSON-RPC 2.0 service on libevent."
    )

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).")
    var listen: String = "127.0.0.1:8080"

    @Option(help: "Store: 'sqlite' (durable, under --data-dir), 'memory' (throw-away), or a PostgreSQL URL postgres://USER@HOST:PORT/DATABASE shared by several replicas (password in PGPASSWORD).")
    var store: String = "sqlite"

    @Option(help: "Directory of the SQLite store.")
    var dataDir: String = "./data"

    @Option(help: "Largest request body accepted, in bytes.")
    var maxBodyBytes: Int = 1 << 20

    @Option(help: "Seconds a connection may sit idle or half-sent before it is closed.")
    var idleTimeout: Int = 30

    @Option(help: "Most client connections open at once.")
    var maxConnections: Int = 1024

    @Option(help: "Most calls in one JSON-RPC batch.")
    var maxBatch: Int = 1000

    @Option(help: "Seconds that released and expired leases are remembered.")
    var retentionSeconds: Int = 3600

    @Option(help: "Log lines on stderr: 'json' (one object per line) or 'text' (logfmt).")
    var logFormat: String = "text"

    @Option(help: "Least severe level logged: trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(help: "Most pools with per-pool metric series (cluster pools first, then by path); 0 for none.")
    var metricsMaxPools: Int = 1000

    @Option(help: "Tokens file (YAML or JSON) of principals with roles, pool scopes and token SHA-256s; SIGHUP reloads it.")
    var tokens: String?

    @Option(help: "Serve HTTPS (TLS 1.2+) with this PEM certificate chain; needs --tls-key.")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(help: "Require client certificates signed by this PEM CA (mutual TLS); the certificate's CN or a DNS SAN names the principal.")
    var tlsClientCa: String?

    @Flag(help: "Serve a non-loopback address without --tokens (anyone who can connect may change every pool).")
    var insecureAllowUnauthenticated = false

    func validate() throws {
        _ = try ListenAddress(listen)
        guard ["sqlite", "memory"].contains(store) || isPostgresURL(store) else {
            throw ValidationError("--store must be 'sqlite', 'memory' or a PostgreSQL URL postgres://USER@HOST:PORT/DATABASE (got '\(PostgresLedgerStore.redacting(store))')")
        }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024 (got \(maxBodyBytes))") }
        guard idleTimeout >= 1 else { throw ValidationError("--idle-timeout must be at least 1 second (got \(idleTimeout))") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1 (got \(maxConnections))") }
        guard maxBatch >= 1 else { throw ValidationError("--max-batch must be at least 1 (got \(maxBatch))") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard tlsClientCa == nil || tlsCert != nil else { throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key") }
        guard retentionSeconds >= 0 else { throw ValidationError("--retention-seconds must not be negative (got \(retentionSeconds))") }
        guard LogFormat(rawValue: logFormat) != nil else {
            throw ValidationError("--log-format must be 'json' or 'text' (got '\(logFormat)')")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical (got '\(logLevel)')")
        }
        guard metricsMaxPools >= 0 else { throw ValidationError("--metrics-max-pools must not be negative (got \(metricsMaxPools))") }
    }

    func run() throws {
        let address = try ListenAddress(listen)
        var configuration = ServerConfiguration()
        configuration.host = address.host
        configuration.port = address.port
        configuration.store = switch store {
        case "memory": .memory
        case "sqlite": .sqlite(directory: dataDir)
        default: .postgres(url: store)
        }
        configuration.maxBodyBytes = maxBodyBytes
        configuration.idleTimeoutSeconds = idleTimeout
        configuration.maxConnections = maxConnections
        configuration.maxBatchSize = maxBatch
        configuration.retentionSeconds = Int64(retentionSeconds)
        configuration.metricsMaxPools = metricsMaxPools
        let format = LogFormat(rawValue: logFormat) ?? .text
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { _ in StructuredLogHandler(format: format, level: level) }
        let logger = Logger(label: "quotad")
        configuration.tokensFile = tokens
        configuration.allowUnauthenticated = insecureAllowUnauthenticated
        configuration.tlsCertificate = tlsCert
        configuration.tlsKey = tlsKey
        configuration.tlsClientCA = tlsClientCa
        if let tokens, TokensFile.isReadableByOthers(path: tokens) {
            logger.warning("tokens file \(tokens) is readable by its group or others; chmod 600 it", metadata: ["event": "tokens_file_mode"])
        }
        let server: QuotaServer
        do {
            server = try QuotaServer(configuration: configuration, logger: logger)
        } catch {
            logger.critical("cannot start: \(error)", metadata: ["event": "start_failed"])
            throw ExitCode(1)
        }
        writeLine(server.summary, to: STDOUT_FILENO)
        try server.run()
    }
}

/// Writes one unbuffered line, so a supervisor or test sees it at once.
func writeLine(_ text: String, to descriptor: Int32) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
}

/// A `HOST:PORT` listen address; `[::1]:8080` for IPv6.
struct ListenAddress {
    let host: String
    let port: Int

    init(_ text: String) throws {
        guard let colon = text.lastIndex(of: ":") else {
            throw ValidationError("--listen must be HOST:PORT (got '\(text)')")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen must be HOST:PORT with a port from 0 to 65535 (got '\(text)')")
        }
        self.host = host
        self.port = port
    }
}

/// True for a libpq connection URI: `postgres://…` or `postgresql://…`.
func isPostgresURL(_ text: String) -> Bool {
    text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
}
