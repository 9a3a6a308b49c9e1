/// What a caller asks `reserve` for.
public struct ReserveRequest: Sendable {
    public var lease: LeaseID
    public var pool: PoolPath
    public var resources: ResourceList
    /// Lifetime in seconds, 1 to 86400.
    public var ttlSeconds: Int64
    public var holder: String
    public var labels: [String: String]
    /// Answer whether the lease would be granted, and change nothing.
    public var dryRun: Bool
    /// The fencing token the caller holds: the revision of the active lease with this id, or 0
    /// for "no active lease"; nil skips the check (issue #4).
    public var expectedRevision: Int64?

    public init(
        lease: LeaseID, pool: PoolPath, resources: ResourceList, ttlSeconds: Int64 = Ledger.defaultTTLSeconds,
        holder: String = "", labels: [String: String] = [:], dryRun: Bool = false, expectedRevision: Int64? = nil
    ) {
        self.expectedRevision = expectedRevision
        self.lease = lease
        self.pool = pool
        self.resources = resources
        self.ttlSeconds = ttlSeconds
        self.holder = holder
        self.labels = labels
        self.dryRun = dryRun
    }
}

/// The answer to `reserve`.
public struct ReserveOutcome: Sendable, Equatable {
    /// The granted lease: new, or the existing one on an idempotent retry. Under dryRun, the lease
    /// that would be granted.
    public var lease: Lease
    /// False on an idempotent retry of an active lease.
    public var created: Bool
    /// The lease's pool after the change (under dryRun: as it would be).
    public var pool: PoolView
}

/// The answer to `release`.
public struct ReleaseOutcome: Sendable, Equatable {
    /// True when this call ended an active lease.
    public var released: Bool
    /// The lease's state after the call, or nil when quotad does not know the lease.
    public var state: LeaseState?
    /// The lease after the call, or nil when unknown.
    public var lease: Lease?
    /// The lease's pool after the call, or nil when the lease or its pool is unknown.
    public var pool: PoolView?
}

extension Ledger {
    /// The TTL a lease gets when none is asked for: 900 s.
    public static let defaultTTLSeconds: Int64 = 900
    /// The TTLs a caller may ask for, in seconds.
    public static let ttlRange: ClosedRange<Int64> = 1...86_400

    /// Grants a lease if its pool and every existing ancestor have room for every resource; otherwise
    /// changes nothing (all-or-nothing).
    ///
    /// Retrying an active lease with the same pool and resources (compared by value) returns it
    /// with `created: false` and does not extend its TTL. A released or expired id may be reserved
    /// again and becomes a new lease.
    /// - Parameters:
    ///   - request: what to reserve.
    ///   - now: the current time.
    /// - Returns: the lease, whether it was created, and its pool's view.
    /// - Throws: -32602 ``QuotaError/invalidArgument(field:reason:)`` for bad resources, TTL, holder
    ///   or labels; 1001 ``QuotaError/poolNotFound(_:)``; 1003 ``QuotaError/leaseConflict(existing:)``
    ///   when the id is active with another pool or other resources; 1002
    ///   ``QuotaError/insufficientHeadroom(_:)`` naming the first pool (nearest first) that lacks room;
    ///   1007 ``QuotaError/revisionMismatch(_:expected:actual:)`` when `expectedRevision` is not the
    ///   active lease's revision (0: none active).
    public mutating func reserve(_ request: ReserveRequest, now: Timestamp) throws(QuotaError) -> ReserveOutcome {
        try reserve(request, now: now, recordingLease: true)
    }

    /// ``reserve(_:now:)``; a dry run decides on a scratch copy with `recordingLease` false, so
    /// that it copies only the pools it charges, not every lease and the expiry queue (which made
    /// each dry run cost time in proportion to the whole ledger; a batch of them held the loop,
    /// and on PostgreSQL the revision row, for many seconds). The lease is not part of any view.
    private mutating func reserve(_ request: ReserveRequest, now: Timestamp, recordingLease: Bool) throws(QuotaError) -> ReserveOutcome {
        try request.resources.validate(field: "resources")
        guard Self.ttlRange.contains(request.ttlSeconds) else {
            throw .invalidArgument(field: "ttlSeconds", reason: "must be between \(Self.ttlRange.lowerBound) and \(Self.ttlRange.upperBound) seconds (got \(request.ttlSeconds))")
        }
        try Self.validate(holder: request.holder)
        try Self.validate(labels: request.labels, field: "labels")
        guard pools[request.pool] != nil else { throw .poolNotFound(request.pool) }

        if request.dryRun {
            // Decide on a scratch copy, so the answer is exactly what the real call would give.
            var scratch = self
            var real = request
            real.dryRun = false
            return try scratch.reserve(real, now: now, recordingLease: false)
        }
        expireIfDue(request.lease, now: now)
        if let expected = request.expectedRevision {
            let active = leases[request.lease].flatMap { $0.state == .active ? $0 : nil }
            if (active?.revision ?? 0) != expected {
                throw .revisionMismatch(request.lease, expected: expected, actual: active?.revision ?? 0)
            }
        }
        if let existing = leases[request.lease], existing.state == .active, existing.expiresAt > now {
            guard existing.pool == request.pool, existing.resources == request.resources else {
                throw .leaseConflict(existing: existing)
            }
            return ReserveOutcome(lease: existing, created: false, pool: view(of: existing.pool)!)
        }

        let charged = chargedPools(of: request.pool)
        var updated: [Pool] = []
        for path in charged {
            var pool = pools[path]!
            if let denial = denial(in: pool, for: request.resources) { throw .insufficientHeadroom(denial) }
            pool.reserved = try pool.reserved.adding(request.resources).droppingZeros()
            pool.activeLeases += 1
            if let base = pool.base { _ = try base.adding(pool.reserved.restricted(to: base.amounts.keys)) }
            updated.append(pool)
        }

        let revision = nextRevision()
        let lease = Lease(
            id: request.lease, pool: request.pool, resources: request.resources, holder: request.holder,
            labels: request.labels, state: .active, createdAt: now, expiresAt: now.adding(seconds: request.ttlSeconds),
            ttlSeconds: request.ttlSeconds, revision: revision, modRevision: revision, endedAt: nil
        )
        for var pool in updated {
            pool.revision = revision
            record(pool: pool, at: pool.name)
        }
        if recordingLease { record(lease: lease, id: lease.id) }
        return ReserveOutcome(lease: lease, created: true, pool: view(of: request.pool)!)
    }

    /// Why `pool` cannot take `resources` and one more lease, or nil when it can.
    func denial(in pool: Pool, for resources: ResourceList) -> Denial? {
        // Most reserves fit: find that out without building the three lists of a denial.
        guard lacksRoom(pool, for: resources) else { return nil }
        var requested = ResourceList()
        var available = ResourceList()
        var shortfall = ResourceList()
        for (name, limit) in pool.capacity.amounts {
            let want = resources[name] ?? .zero
            let used = pool.reserved[name] ?? .zero
            if resources[name] != nil { requested[name] = want }
            let left = used >= limit ? Quantity.zero : ((try? limit.subtracting(used)) ?? .zero)
            // want + used − limit, computed as want − left when it fits, else want + (used − limit).
            if want > left || used > limit {
                let over = (try? want.adding(used).subtracting(limit)) ?? want
                shortfall[name] = over
                available[name] = left
            } else if resources[name] != nil {
                available[name] = left
            }
        }
        if let maxLeases = pool.maxLeases {
            requested[.leases] = Quantity(integer: 1)
            let left = max(0, maxLeases - pool.activeLeases)
            available[.leases] = Quantity(integer: left)
            if pool.activeLeases + 1 > maxLeases {
                shortfall[.leases] = Quantity(integer: pool.activeLeases + 1 - maxLeases)
            }
        }
        guard !shortfall.isEmpty else { return nil }
        return Denial(pool: pool.name, requested: requested, available: available, shortfall: shortfall)
    }

    /// True when ``denial(in:for:)`` finds a shortfall: some resource's `used + want` exceeds its
    /// limit (or `used` already does), or one more lease exceeds `maxLeases`.
    private func lacksRoom(_ pool: Pool, for resources: ResourceList) -> Bool {
        for (name, limit) in pool.capacity.amounts {
            let used = pool.reserved[name] ?? .zero
            if used > limit { return true }
            let left = (try? limit.subtracting(used)) ?? .zero
            if (resources[name] ?? .zero) > left { return true }
        }
        if let maxLeases = pool.maxLeases, pool.activeLeases + 1 > maxLeases { return true }
        return false
    }

    /// Ends an active lease and frees its charge. Releasing an unknown, released or expired lease is
    /// not an error: the answer says `released: false` with that state, so retries are safe.
    /// - Parameters:
    ///   - id: the lease.
    ///   - now: the current time (a lease past its deadline is expired first).
    /// - Returns: whether this call released it, its state, the lease and its pool's view.
    public mutating func release(_ id: LeaseID, now: Timestamp) -> ReleaseOutcome {
        expireIfDue(id, now: now)
        guard let lease = leases[id] else {
            return ReleaseOutcome(released: false, state: nil, lease: nil, pool: nil)
        }
        guard lease.state == .active else {
            return ReleaseOutcome(released: false, state: lease.state, lease: lease, pool: view(of: lease.pool))
        }
        let ended = end(lease, as: .released, now: now)
        return ReleaseOutcome(released: true, state: .released, lease: ended, pool: view(of: lease.pool))
    }

    /// ``release(_:now:)`` for a caller that holds a fencing token: it releases only the lease
    /// granted at `expectedRevision`, so a stale holder cannot end a newer lease with the same id.
    /// - Parameters:
    ///   - id: the lease.
    ///   - expectedRevision: the lease's `revision` as the caller knows it.
    ///   - now: the current time.
    /// - Returns: as ``release(_:now:)``.
    /// - Throws: 1007 ``QuotaError/revisionMismatch(_:expected:actual:)`` when the lease known under
    ///   this id has another revision (0 when none is known).
    public mutating func release(_ id: LeaseID, expectedRevision: Int64, now: Timestamp) throws(QuotaError) -> ReleaseOutcome {
        let actual = leases[id]?.revision ?? 0
        guard actual == expectedRevision else {
            throw .revisionMismatch(id, expected: expectedRevision, actual: actual)
        }
        return release(id, now: now)
    }

    /// Releases every active lease of `holder` under `prefix` that `keep` does not name: what a
    /// controller calls after its own restart, with the migrations it knows are in flight.
    /// - Parameters:
    ///   - holder: whose leases; matched exactly.
    ///   - prefix: only leases in this pool or below it; nil for every pool.
    ///   - keep: the leases to leave alone.
    ///   - now: the current time.
    /// - Returns: the leases released, by id.
    public mutating func reconcile(holder: String, under prefix: PoolPath?, keeping keep: Set<LeaseID>, now: Timestamp) -> [Lease] {
        let candidates = (prefix.map { activeLeases(chargedTo: $0) } ?? leases.values.filter { $0.state == .active })
            .filter { $0.holder == holder && !keep.contains($0.id) }
            .sorted { $0.id < $1.id }
        return candidates.map { end($0, as: .released, now: now) }
    }

    /// Extends an active lease: its new deadline is now + TTL.
    /// - Parameters:
    ///   - id: the lease.
    ///   - ttlSeconds: the new TTL in seconds (1 to 86400), or nil to reuse the lease's own.
    ///   - expectedRevision: the caller's fencing token, or nil to skip the check.
    ///   - now: the current time.
    /// - Returns: the renewed lease.
    /// - Throws: -32602 for a TTL out of range; 1007 ``QuotaError/revisionMismatch(_:expected:actual:)``
    ///   for a stale token; 1004 ``QuotaError/leaseNotActive(_:state:)`` when the lease is unknown,
    ///   released or expired.
    public mutating func renew(_ id: LeaseID, ttlSeconds: Int64?, expectedRevision: Int64? = nil, now: Timestamp) throws(QuotaError) -> Lease {
        if let ttlSeconds, !Self.ttlRange.contains(ttlSeconds) {
            throw .invalidArgument(field: "ttlSeconds", reason: "must be between \(Self.ttlRange.lowerBound) and \(Self.ttlRange.upperBound) seconds (got \(ttlSeconds))")
        }
        if let expectedRevision, (leases[id]?.revision ?? 0) != expectedRevision {
            throw .revisionMismatch(id, expected: expectedRevision, actual: leases[id]?.revision ?? 0)
        }
        expireIfDue(id, now: now)
        guard var lease = leases[id], lease.state == .active else {
            throw .leaseNotActive(id, state: leases[id]?.state)
        }
        lease.ttlSeconds = ttlSeconds ?? lease.ttlSeconds
        lease.expiresAt = now.adding(seconds: lease.ttlSeconds)
        lease.modRevision = nextRevision()
        record(lease: lease, id: id)
        return lease
    }

    /// Ends an active lease (release or expiry) and takes its charge off every pool it was charged to.
    /// - Returns: the ended lease.
    @discardableResult
    mutating func end(_ lease: Lease, as state: LeaseState, now: Timestamp) -> Lease {
        let revision = nextRevision()
        for path in chargedPools(of: lease.pool) {
            var pool = pools[path]!
            // Subtracting what was added cannot leave the range.
            pool.reserved = ((try? pool.reserved.subtracting(lease.resources)) ?? pool.reserved).droppingZeros()
            pool.activeLeases -= 1
            pool.revision = revision
            record(pool: pool, at: path)
        }
        var ended = lease
        ended.state = state
        ended.modRevision = revision
        ended.endedAt = now
        record(lease: ended, id: lease.id)
        return ended
    }
}
