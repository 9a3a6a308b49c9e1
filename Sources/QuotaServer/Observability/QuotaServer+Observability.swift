import JSON
import Logging
import QuotaCore
import QuotaStore

/// Metrics and log lines for calls, commits and expiries (issue #7). Loop-thread only.
extension QuotaServer {
    /// The start-up line: version, store, listen address, what was loaded, and the limits.
    func logStartup() {
        logger.info("quotad started", metadata: [
            "event": "start",
            "version": .string(version),
            "store": .string(storeDescription),
            "listen": .string("\(configuration.host):\(boundPort)"),
            "tls": .stringConvertible(configuration.tlsCertificate != nil),
            "mutualTLS": .stringConvertible(configuration.tlsClientCA != nil),
            "authentication": .string(configuration.tokensFile == nil ? "off" : "tokens"),
            "revision": .stringConvertible(service.ledger.revision),
            "pools": .stringConvertible(service.ledger.pools.count),
            "leases": .stringConvertible(service.ledger.leases.count),
            "maxBodyBytes": .stringConvertible(configuration.maxBodyBytes),
            "idleTimeoutSeconds": .stringConvertible(configuration.idleTimeoutSeconds),
            "maxConnections": .stringConvertible(configuration.maxConnections),
            "maxBatch": .stringConvertible(configuration.maxBatchSize),
            "retentionSeconds": .stringConvertible(configuration.retentionSeconds),
            "metricsMaxPools": .stringConvertible(configuration.metricsMaxPools),
        ])
    }

    /// quotad's version: the OpenRPC document's `info.version`.
    var version: String { service.openRPCDocument["info"]?["version"]?.stringValue ?? "unknown" }

    /// A group commit happened: metrics, the expiry line, and failure or recovery lines.
    func committed(_ report: CommitReport) {
        metrics.recordCommit(report)
        if let failure = report.failure {
            storeFailing = true
            logger.error("commit failed; the pass's changes were rolled back and answered -32001", metadata: [
                "event": "commit_failed", "error": .string(failure.description),
                "changes": .stringConvertible(report.changeCount),
                "duration": .stringConvertible(report.duration.seconds),
            ])
            return
        }
        if storeFailing { storeRecovered() }
        let expired = report.transitions.expired
        guard !expired.isEmpty else { return }
        var byPool: [String: Int] = [:]
        for lease in expired { byPool[lease.pool.rawValue, default: 0] += 1 }
        let pools = byPool.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(20)
        logger.info("expired \(expired.count) lease(s)", metadata: [
            "event": "expire", "principal": "quotad", "count": .stringConvertible(expired.count),
            "revision": .stringConvertible(report.changes.revision),
            "pools": .dictionary(Dictionary(uniqueKeysWithValues: pools.map { ($0.key, .stringConvertible($0.value)) })),
        ])
        if logger.logLevel <= .debug {
            for lease in expired.sorted(by: { $0.id < $1.id }) {
                logger.debug("lease expired", metadata: [
                    "event": "expire", "principal": "quotad", "pool": .string(lease.pool.rawValue), "lease": .string(lease.id.rawValue),
                    "holder": .string(lease.holder), "vmName": .string(lease.labels["vmName"] ?? ""),
                    "revision": .stringConvertible(lease.modRevision),
                ])
            }
        }
    }

    /// The store committed after failing: readiness is back.
    /// A replica's database stopped answering (`failure`) or answers again (nil): one log line
    /// each way, and /readyz follows (issue #9).
    func databaseAvailability(_ failure: StoreError?) {
        guard let failure else { return storeRecovered() }
        storeFailing = true
        logger.error("the database does not answer; calls get -32001 until it does, quotad reconnects by itself", metadata: [
            "event": "store_unavailable", "error": .string(failure.description),
        ])
    }

    func storeRecovered() {
        storeFailing = false
        logger.notice("the store commits again", metadata: ["event": "store_recovered", "revision": .stringConvertible(service.ledger.revision)])
    }

    /// The reply of these calls went out: count and log each, with its final outcome.
    /// - Parameters:
    ///   - calls: the calls the reply answered (notifications included).
    ///   - storeFailure: the store's error when the commit they waited for failed; each is then -32001.
    func answered(_ calls: [CallRecord], storeFailure: StoreError?) {
        guard !calls.isEmpty else { return }
        let now = ContinuousClock.now
        for var call in calls {
            if let storeFailure {
                call.code = -32001
                call.errorMessage = storeFailure.description
                call.revision = nil
                call.denial = nil
            }
            let duration = now - call.started
            metrics.recordCall(method: call.method, code: call.code, duration: duration)
            if call.method == "reserve" || call.code == 1002, let reason = ServerMetrics.denialReason(code: call.code) {
                metrics.recordDenial(reason: reason)
            }
            log(call, duration: duration)
        }
    }

    /// One line per call: info for a change, warning for a 1002 denial (naming the pool and each
    /// short resource with the shortfall), notice for other domain errors, error for -32001 and
    /// -32603, debug for reads and protocol errors.
    func log(_ call: CallRecord, duration: Duration) {
        let level: Logger.Level
        switch call.code {
        case 0: level = call.changed ? .info : .debug
        case 1002: level = .warning
        case 1001...1099: level = .notice
        case -32001, -32603: level = .error
        default: level = .debug
        }
        guard logger.logLevel <= level else { return }
        var metadata = Logger.Metadata(minimumCapacity: 12)
        metadata["event"] = .string(call.code == 1002 ? "denied" : "call")
        metadata["method"] = .string(call.method)
        metadata["code"] = .stringConvertible(call.code)
        metadata["duration"] = .stringConvertible(duration.seconds)
        if let principal = call.principal { metadata["principal"] = .string(principal) }
        if let pool = call.pool { metadata["pool"] = .string(pool) }
        if let lease = call.lease { metadata["lease"] = .string(lease) }
        if let holder = call.holder { metadata["holder"] = .string(holder) }
        if let vmName = call.vmName { metadata["vmName"] = .string(vmName) }
        if let revision = call.revision, call.code == 0 { metadata["revision"] = .stringConvertible(revision) }
        if let released = call.releasedCount { metadata["released"] = .stringConvertible(released) }
        if !call.bulkLeases.isEmpty { metadata["leases"] = .stringConvertible(call.bulkLeases.count) }
        if call.isNotification { metadata["notification"] = .stringConvertible(true) }
        let message: String
        if let denial = call.denial {
            metadata["shortPool"] = .string(denial.pool)
            if let first = denial.shortfall.first { metadata["resource"] = .string(first.resource) }
            metadata["shortfall"] = .dictionary(Dictionary(uniqueKeysWithValues: denial.shortfall.map { ($0.resource, .string($0.shortfall)) }))
            metadata["requested"] = .dictionary(Dictionary(uniqueKeysWithValues: denial.shortfall.map { ($0.resource, .string($0.requested)) }))
            metadata["available"] = .dictionary(Dictionary(uniqueKeysWithValues: denial.shortfall.map { ($0.resource, .string($0.available)) }))
            let parts = denial.shortfall.map { "\($0.resource) by \($0.shortfall) (requested \($0.requested), available \($0.available))" }
            message = "denied: pool \(denial.pool) is short of " + parts.joined(separator: ", ")
        } else if let error = call.errorMessage {
            message = error
        } else {
            message = call.changed ? "\(call.method) changed the ledger" : "\(call.method) answered"
        }
        logger.log(level: level, "\(message)", metadata: metadata)
        // A bulk change (importAnnotations, reconcile) also gets one line per lease it made or ended.
        guard call.code == 0 else { return }
        for lease in call.bulkLeases {
            var fields: Logger.Metadata = [
                "event": .string(lease.change == "imported" ? "lease_imported" : "lease_released"),
                "method": .string(call.method), "code": .stringConvertible(0), "lease": .string(lease.id),
            ]
            if let principal = call.principal { fields["principal"] = .string(principal) }
            if let pool = lease.pool { fields["pool"] = .string(pool) }
            if let holder = lease.holder { fields["holder"] = .string(holder) }
            if let vmName = lease.vmName { fields["vmName"] = .string(vmName) }
            if let revision = call.revision { fields["revision"] = .stringConvertible(revision) }
            logger.log(level: level, "\(call.method) \(lease.change) lease \(lease.id)", metadata: fields)
        }
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
