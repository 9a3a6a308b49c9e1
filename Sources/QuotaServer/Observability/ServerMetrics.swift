import Prometheus
import QuotaCore

/// quotad's Prometheus metrics (issue #7), kept in a swift-prometheus registry and written in the
/// text exposition format by ``exposition(ledger:openConnections:)``.
///
/// Loop-thread only: every update comes from the event loop, so the type adds no locks of its own
/// (the registry's internal lock is never contended). Counters move when something happens;
/// gauges of pools, connections and the process are read when scraped, so they are exact at that
/// moment. Quantities become `Double` only there, in base units (cores, bytes).
final class ServerMetrics {
    let registry = PrometheusCollectorRegistry()
    /// The most pools with per-pool series (`--metrics-max-pools`).
    let maxPools: Int

    /// Upper bounds of the duration histograms, in seconds.
    static let durationBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]
    /// Upper bounds of the commit batch-size histogram, in changes.
    static let batchBuckets: [Double] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]

    private var requests: [String: Counter] = [:]
    private var requestDurations: [String: DurationHistogram] = [:]
    private var denied: [String: Counter] = [:]
    let granted: Counter
    let released: Counter
    let expired: Counter
    let commitDuration: DurationHistogram
    let commitBatchSize: ValueHistogram
    let commitFailures: Counter
    let httpConnections: Gauge
    let ready: Gauge
    let revision: Gauge
    let pools: Gauge
    let poolsOmitted: Gauge
    let leasesActive: Gauge
    let process = ProcessMetrics()
    /// Per-pool gauges now registered, by pool and resource, so that series of deleted pools (or
    /// pools past the cap) are unregistered.
    private var poolGauges: [PoolPath: PoolSeries] = [:]

    /// - Parameter maxPools: the most pools with per-pool series; 0 turns them off.
    init(maxPools: Int) {
        self.maxPools = maxPools
        func name(_ metric: String, _ unit: String = "", _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(metricName: metric, unitName: unit, helpText: help)
        }
        granted = registry.makeCounter(descriptor: name("quota_leases_granted", "total", "Leases granted (reserve that created a lease), counted when committed."))
        released = registry.makeCounter(descriptor: name("quota_leases_released", "total", "Leases ended by release or reconcile, counted when committed."))
        expired = registry.makeCounter(descriptor: name("quota_leases_expired", "total", "Leases ended by their TTL, counted when committed."))
        commitDuration = registry.makeDurationHistogram(
            descriptor: name("quota_store_commit_duration", "seconds", "Time to write and fsync one group commit, in seconds, failed ones included."),
            buckets: Self.durationBuckets)
        commitBatchSize = registry.makeValueHistogram(
            descriptor: name("quota_store_commit_batch_size", "", "Ledger changes (revisions) written by one group commit."),
            buckets: Self.batchBuckets)
        commitFailures = registry.makeCounter(descriptor: name("quota_store_commit_failures", "total", "Group commits the store refused; their changes were rolled back and answered -32001."))
        httpConnections = registry.makeGauge(descriptor: name("quota_http_connections", "", "Client HTTP connections open now."))
        ready = registry.makeGauge(descriptor: name("quota_ready", "", "1 when /readyz answers 200: the store loaded and its last commit succeeded."))
        revision = registry.makeGauge(descriptor: name("quota_revision", "", "The ledger's global revision."))
        pools = registry.makeGauge(descriptor: name("quota_pools", "", "Pools in the ledger."))
        poolsOmitted = registry.makeGauge(descriptor: name("quota_metrics_pools_omitted", "", "Pools without per-pool series because of --metrics-max-pools."))
        leasesActive = registry.makeGauge(descriptor: name("quota_leases_active", "", "Active leases in the ledger."))
        process.register(in: registry)
    }

    // MARK: Events

    /// Counts one answered JSON-RPC call.
    /// - Parameters:
    ///   - method: a registered method name, `unknown` or `invalid`.
    ///   - code: 0 for a result, else the JSON-RPC error code.
    ///   - duration: from the start of the call to its reply being handed to HTTP.
    func recordCall(method: String, code: Int, duration: Duration) {
        let key = "\(method) \(code)"
        let counter = requests[key] ?? {
            let made = registry.makeCounter(
                descriptor: MetricNameDescriptor(metricName: "quota_rpc_requests", unitName: "total", helpText: "JSON-RPC calls answered, by method and outcome code (0 for success)."),
                labels: [("method", method), ("code", String(code))])
            requests[key] = made
            return made
        }()
        counter.increment()
        let histogram = requestDurations[method] ?? {
            let made = registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(metricName: "quota_rpc_request_duration", unitName: "seconds", helpText: "Time from the start of a JSON-RPC call to its reply, group commit included, in seconds."),
                labels: [("method", method)], buckets: Self.durationBuckets)
            requestDurations[method] = made
            return made
        }()
        histogram.record(duration)
    }

    /// Counts one refused reservation.
    /// - Parameter reason: why, e.g. `insufficient_headroom`.
    func recordDenial(reason: String) {
        let counter = denied[reason] ?? {
            let made = registry.makeCounter(
                descriptor: MetricNameDescriptor(metricName: "quota_leases_denied", unitName: "total", helpText: "Reservations refused, by reason."),
                labels: [("reason", reason)])
            denied[reason] = made
            return made
        }()
        counter.increment()
    }

    /// The `reason` label of a refused `reserve`, by JSON-RPC error code; nil for codes that are
    /// not a refusal of the reservation itself (invalid params, store failures).
    static func denialReason(code: Int) -> String? {
        switch code {
        case 1001: "pool_not_found"
        case 1002: "insufficient_headroom"
        case 1003: "lease_conflict"
        case 1007: "revision_mismatch"
        default: nil
        }
    }

    /// Records one group commit.
    /// - Parameter report: what was written, how long it took, whether it failed.
    func recordCommit(_ report: CommitReport) {
        commitDuration.record(report.duration)
        commitBatchSize.record(Double(report.changeCount))
        if report.failure != nil {
            commitFailures.increment()
        } else {
            let transitions = report.transitions
            if transitions.granted > 0 { granted.increment(by: Int64(transitions.granted)) }
            if transitions.released > 0 { released.increment(by: Int64(transitions.released)) }
            if transitions.expired.count > 0 { expired.increment(by: Int64(transitions.expired.count)) }
        }
    }

    // MARK: Scrape

    /// Reads the gauges from the ledger, the HTTP server and the process, then writes every metric.
    /// - Parameters:
    ///   - ledger: the state.
    ///   - openConnections: client connections open now.
    ///   - isReady: what /readyz answers.
    /// - Returns: the Prometheus text exposition format, version 0.0.4.
    func exposition(ledger: Ledger, openConnections: Int, isReady: Bool) -> [UInt8] {
        httpConnections.set(Int64(openConnections))
        ready.set(isReady ? 1.0 : 0.0)
        revision.set(ledger.revision)
        pools.set(Int64(ledger.pools.count))
        leasesActive.set(Int64(ledger.leases.values.reduce(0) { $0 + ($1.state == .active ? 1 : 0) }))
        refreshPools(ledger)
        process.refresh()
        return registry.emitToBuffer()
    }

    /// The pools that get per-pool series: the first ``maxPools`` by depth, then path, so that
    /// cluster pools (depth 1) are kept before their namespaces.
    static func keptPools(_ paths: some Collection<PoolPath>, max: Int) -> [PoolPath] {
        guard max > 0 else { return [] }
        let ordered = paths.sorted { lhs, rhs in
            let (l, r) = (lhs.depth, rhs.depth)
            return l != r ? l < r : lhs.rawValue < rhs.rawValue
        }
        return Array(ordered.prefix(max))
    }

    private func refreshPools(_ ledger: Ledger) {
        let kept = Self.keptPools(ledger.pools.keys, max: maxPools)
        poolsOmitted.set(Double(ledger.pools.count - kept.count))
        let keptSet = Set(kept)
        for (path, series) in poolGauges where !keptSet.contains(path) {
            series.unregister(from: registry)
            poolGauges[path] = nil
        }
        for path in kept {
            guard let view = ledger.view(of: path) else { continue }
            var series = poolGauges[path] ?? PoolSeries(pool: path, registry: registry)
            series.update(view, registry: registry)
            poolGauges[path] = series
        }
    }
}

extension PoolPath {
    /// How many labels the path has: 1 for a cluster pool, 2 for a namespace pool.
    var depth: Int { rawValue.utf8.reduce(1) { $0 + ($1 == UInt8(ascii: "/") ? 1 : 0) } }
}
