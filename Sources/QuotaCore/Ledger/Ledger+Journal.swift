/// The rows a group commit must write: the current value of everything changed since the last
/// acknowledged commit, and the revision.
public struct ChangeSet: Sendable {
    /// Changed pools; nil means deleted.
    public var pools: [PoolPath: Pool?]
    /// Changed leases; nil means forgotten (purged after retention).
    public var leases: [LeaseID: Lease?]
    /// The global revision after these changes.
    public var revision: Int64

    public init(pools: [PoolPath: Pool?], leases: [LeaseID: Lease?], revision: Int64) {
        self.pools = pools
        self.leases = leases
        self.revision = revision
    }

    /// True when there is nothing to write.
    public var isEmpty: Bool { pools.isEmpty && leases.isEmpty }
}

/// What the ledger looked like before its uncommitted changes, so they can be undone.
struct Journal: Sendable {
    var priorPools: [PoolPath: Pool?] = [:]
    var priorLeases: [LeaseID: Lease?] = [:]
    var priorRevision: Int64?

    var isEmpty: Bool { priorPools.isEmpty && priorLeases.isEmpty && priorRevision == nil }
}

extension Ledger {
    /// True when some change awaits a commit.
    public var hasPendingChanges: Bool { !journal.isEmpty }

    /// Everything changed since the last ``acknowledgeCommit()``, for the store to write in one transaction.
    public var pendingChanges: ChangeSet {
        var pools: [PoolPath: Pool?] = [:]
        for path in journal.priorPools.keys { pools[path] = .some(self.pools[path]) }
        var leases: [LeaseID: Lease?] = [:]
        for id in journal.priorLeases.keys { leases[id] = .some(self.leases[id]) }
        return ChangeSet(pools: pools, leases: leases, revision: revision)
    }

    /// Marks the pending changes durable; they can no longer be rolled back.
    public mutating func acknowledgeCommit() {
        journal = Journal()
    }

    /// Undoes every change since the last ``acknowledgeCommit()``; for when the store could not commit them.
    public mutating func rollbackUncommitted() {
        let prior = journal
        journal = Journal()
        for (id, lease) in prior.priorLeases { store(lease: lease, id: id) }
        for (path, pool) in prior.priorPools { store(pool: pool, at: path) }
        if let priorRevision = prior.priorRevision { revision = priorRevision }
    }

    /// Starts a change: increments and returns the global revision.
    mutating func nextRevision() -> Int64 {
        if journal.priorRevision == nil { journal.priorRevision = revision }
        revision += 1
        return revision
    }

    /// Writes a pool (nil deletes it), journaling its prior value and keeping the child index right.
    mutating func record(pool: Pool?, at path: PoolPath) {
        if journal.priorPools.index(forKey: path) == nil { journal.priorPools[path] = .some(pools[path]) }
        store(pool: pool, at: path)
    }

    /// Writes a lease (nil forgets it), journaling its prior value and keeping the indexes right.
    mutating func record(lease: Lease?, id: LeaseID) {
        if journal.priorLeases.index(forKey: id) == nil { journal.priorLeases[id] = .some(leases[id]) }
        store(lease: lease, id: id)
    }

    mutating func store(pool: Pool?, at path: PoolPath) {
        pools[path] = pool
        for ancestor in path.ancestors {
            if pool != nil {
                poolsBelow[ancestor, default: []].insert(path)
            } else {
                poolsBelow[ancestor]?.remove(path)
                if poolsBelow[ancestor]?.isEmpty == true { poolsBelow[ancestor] = nil }
            }
        }
    }

    mutating func store(lease: Lease?, id: LeaseID) {
        if let old = leases[id], old.state == .active {
            activeByPool[old.pool]?.remove(id)
            if activeByPool[old.pool]?.isEmpty == true { activeByPool[old.pool] = nil }
        }
        leases[id] = lease
        guard let lease else { return }
        switch lease.state {
        case .active:
            activeByPool[lease.pool, default: []].insert(id)
            expiryQueue.insert(ScheduledLease(at: lease.expiresAt, id: id))
        case .released, .expired:
            purgeQueue.insert(ScheduledLease(at: purgeTime(of: lease), id: id))
        }
    }

    /// When an ended lease may be forgotten.
    func purgeTime(of lease: Lease) -> Timestamp {
        (lease.endedAt ?? lease.expiresAt).adding(seconds: retentionSeconds)
    }
}
