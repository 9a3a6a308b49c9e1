import QuotaCore

/// Everything one quota-load run needs (the flags of issue 8).
public struct LoadConfiguration: Sendable {
    /// The servers, in `--server` order: replicas of one ledger, or a single quotad. Connection
    /// `i` goes to server `i % servers.count`; pool set-up goes through the first.
    public var servers: [ServerAddress]
    /// Keep-alive connections, one virtual migration controller each.
    public var connections: Int = 4
    /// How long requests are started, in seconds.
    public var durationSeconds: Double = 10
    /// Open-loop HTTP requests per second over all connections (as wrk2), or nil for closed loop.
    public var rate: Double?
    /// The operation mix.
    public var mix: OperationMix = .default
    /// How many load pools (`<prefix>/p0` …) reserves spread over.
    public var pools: Int = 1
    /// Calls per HTTP request; above 1 the body is a JSON-RPC batch.
    public var batch: Int = 1
    /// Sent as `Authorization: Bearer <token>` when set.
    public var token: String?
    /// Seeds every controller's choices (operations, pools); lease ids also carry a per-run nonce.
    public var seed: UInt64 = 1
    /// The parent pool; the load pools are its children.
    public var poolPrefix: String = "load"
    /// How many leases each load pool has room for (each lease holds 100m limits.cpu and 128Mi limits.memory).
    public var poolCapacityLeases: Int = 1_000_000
    /// The most leases one controller holds at once; past it, a reserve becomes a release.
    public var maxHeldPerController: Int = 64
    /// False for servers that are not quotad (the benchmark's null server): no pool set-up,
    /// no judging of answers, no end-of-run check. Answers are still read and parsed.
    public var checks: Bool = true
    /// Seconds a request may take before it counts as a transport error; also bounds the drain.
    public var timeoutSeconds: Double = 10

    /// Makes a configuration for one server URL.
    /// - Parameter server: `http://HOST:PORT[/PATH]`; the path defaults to `/rpc`.
    /// - Throws: ``LoadError/invalidFlag(flag:value:reason:)`` for `--server`.
    public init(server: String) throws(LoadError) {
        try self.init(servers: [server])
    }

    /// Makes a configuration for several server URLs (`--server` given more than once).
    /// - Parameter servers: one or more `http://HOST:PORT[/PATH]`, each at most once.
    /// - Throws: ``LoadError/invalidFlag(flag:value:reason:)`` for `--server`: none given, a URL
    ///   that is not `http://HOST:PORT[/PATH]`, or the same server twice.
    public init(servers: [String]) throws(LoadError) {
        guard !servers.isEmpty else { throw .invalidFlag(flag: "--server", value: "", reason: "give at least one server") }
        var addresses: [ServerAddress] = []
        for url in servers {
            let address = try ServerAddress(parsing: url)
            guard !addresses.contains(address) else {
                throw .invalidFlag(flag: "--server", value: url, reason: "\(address) is given twice")
            }
            addresses.append(address)
        }
        self.servers = addresses
    }

    /// The server connection `index` (a virtual controller) sends to: round-robin over ``servers``.
    /// - Parameter index: the connection's index, from 0.
    /// - Returns: an index into ``servers``.
    public func serverIndex(ofConnection index: Int) -> Int { index % servers.count }

    /// The names of the load pools: `<prefix>/p0` … `<prefix>/p<pools-1>`.
    public var poolNames: [String] { (0..<pools).map { "\(poolPrefix)/p\($0)" } }

    /// Checks the ranges of the numeric flags.
    /// - Throws: ``LoadError/invalidFlag(flag:value:reason:)`` naming the first bad flag.
    public func validate() throws(LoadError) {
        guard (1...10_000).contains(connections) else {
            throw .invalidFlag(flag: "--connections", value: "\(connections)", reason: "must be 1 to 10000")
        }
        guard connections >= servers.count else {
            throw .invalidFlag(flag: "--connections", value: "\(connections)",
                               reason: "must be at least the number of servers (\(servers.count)), so that each gets one")
        }
        guard durationSeconds > 0, durationSeconds <= 86_400 else {
            throw .invalidFlag(flag: "--duration", value: "\(durationSeconds)s", reason: "must be above 0 and at most 24h")
        }
        if let rate, !(rate > 0 && rate <= 10_000_000) {
            throw .invalidFlag(flag: "--rate", value: "\(rate)", reason: "must be above 0 and at most 10000000 requests/s")
        }
        guard (1...1_000).contains(pools) else {
            throw .invalidFlag(flag: "--pools", value: "\(pools)", reason: "must be 1 to 1000")
        }
        guard (1...1_000).contains(batch) else {
            throw .invalidFlag(flag: "--batch", value: "\(batch)", reason: "must be 1 to 1000 (quotad's --max-batch default)")
        }
        guard (1...1_000_000_000).contains(poolCapacityLeases) else {
            throw .invalidFlag(flag: "--pool-capacity", value: "\(poolCapacityLeases)", reason: "must be 1 to 1000000000 leases")
        }
        guard timeoutSeconds >= 0.1, timeoutSeconds <= 3600 else {
            throw .invalidFlag(flag: "--timeout", value: "\(timeoutSeconds)", reason: "must be 0.1 to 3600 seconds")
        }
        if let token, token.contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw .invalidFlag(flag: "--token", value: token, reason: "must not contain line breaks")
        }
    }

    /// Parses a duration: Go's syntax (``GoDuration``: `10s`, `500ms`, `2m`, `1m30s`), or a plain
    /// number of seconds.
    /// - Parameter text: the flag's value.
    /// - Returns: seconds.
    /// - Throws: ``LoadError/invalidFlag(flag:value:reason:)`` for `--duration`.
    public static func parseDuration(_ text: String) throws(LoadError) -> Double {
        if let value = Double(text), value.isFinite, value > 0 { return value }
        if let nanoseconds = try? GoDuration.nanoseconds(text), nanoseconds > 0 { return Double(nanoseconds) / 1e9 }
        throw .invalidFlag(flag: "--duration", value: text, reason: "expected a positive duration such as 10s, 500ms, 2m")
    }
}
