/// The answer to ``Ledger/importMigrations(_:into:holder:ttlSeconds:now:)``.
public struct ImportOutcome: Sendable, Equatable {
    /// Leases this call created.
    public var imported: [Lease]
    /// Leases already known under the same ids (active with the same pool and resources, or
    /// released or expired since): left as they are.
    public var existing: [Lease]
    /// The pool after the call.
    public var pool: PoolView
}

extension Ledger {
    /// Records migrations already in flight, found in legacy ResourceQuota annotations, as active
    /// leases in `pool` (issue #5). All or nothing, at one revision.
    ///
    /// These migrations already hold their raise, so they are admitted even beyond a capacity: the
    /// pool then reports `overcommitted` and grants nothing new until enough is released, as a
    /// lowered capacity does (and as Kubernetes keeps usage above a lowered `hard`). Importing the
    /// same migrations again changes nothing, and an id that was released or expired since is not
    /// brought back.
    /// - Parameters:
    ///   - migrations: from ``LegacyMigration/merging(_:vmis:derivedID:)``.
    ///   - pool: the namespace pool.
    ///   - holder: the holder the new leases get.
    ///   - ttlSeconds: their TTL in seconds, 1 to 86400; the controller renews or releases them.
    ///   - now: the current time.
    /// - Returns: the leases created and those already known, and the pool's view.
    /// - Throws: -32602 for a bad TTL, holder, labels or resources (naming the annotation);
    ///   1001 ``QuotaError/poolNotFound(_:)``; 1003 ``QuotaError/leaseConflict(existing:)`` when an
    ///   id is active with another pool or other resources; -32602
    ///   ``QuotaError/quantityOverflow(field:)`` when a sum leaves the quantity range.
    public mutating func importMigrations(
        _ migrations: [LegacyMigration], into pool: PoolPath, holder: String, ttlSeconds: Int64, now: Timestamp
    ) throws(QuotaError) -> ImportOutcome {
        guard Self.ttlRange.contains(ttlSeconds) else {
            throw .invalidArgument(field: "ttlSeconds", reason: "must be between \(Self.ttlRange.lowerBound) and \(Self.ttlRange.upperBound) seconds (got \(ttlSeconds))")
        }
        try Self.validate(holder: holder)
        for migration in migrations {
            let field = "annotations[\(String(reflecting: migration.annotations[0]))]"
            try migration.resources.validate(field: field)
            try Self.validate(labels: migration.labels, field: "labels")
        }
        guard pools[pool] != nil else { throw .poolNotFound(pool) }

        var fresh: [LegacyMigration] = []
        var existing: [Lease] = []
        for migration in migrations {
            expireIfDue(migration.lease, now: now)
            guard let known = leases[migration.lease] else {
                fresh.append(migration)
                continue
            }
            if known.state == .active && (known.pool != pool || known.resources != migration.resources) {
                throw .leaseConflict(existing: known)
            }
            existing.append(known)
        }
        guard !fresh.isEmpty else {
            return ImportOutcome(imported: [], existing: existing, pool: view(of: pool)!)
        }

        // Decide every sum before recording anything, so an overflow leaves no trace.
        var charge = ResourceList()
        for migration in fresh { charge = try charge.adding(migration.resources, field: "annotations").droppingZeros() }
        var updated: [Pool] = []
        for path in chargedPools(of: pool) {
            var charged = pools[path]!
            charged.reserved = try charged.reserved.adding(charge, field: "annotations").droppingZeros()
            charged.activeLeases += Int64(fresh.count)
            if let base = charged.base { _ = try base.adding(charged.reserved.restricted(to: base.amounts.keys), field: "annotations") }
            updated.append(charged)
        }

        let revision = nextRevision()
        for var charged in updated {
            charged.revision = revision
            record(pool: charged, at: charged.name)
        }
        let imported = fresh.map { migration in
            Lease(
                id: migration.lease, pool: pool, resources: migration.resources, holder: holder, labels: migration.labels,
                state: .active, createdAt: now, expiresAt: now.adding(seconds: ttlSeconds), ttlSeconds: ttlSeconds,
                revision: revision, modRevision: revision, endedAt: nil
            )
        }
        for lease in imported { record(lease: lease, id: lease.id) }
        return ImportOutcome(imported: imported, existing: existing, pool: view(of: pool)!)
    }
}
