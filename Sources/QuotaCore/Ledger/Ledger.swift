import HeapModule

/// The whole quota state and every decision on it: pools, leases, the global revision, expiry.
///
/// A plain value with no I/O and no clock of its own: callers pass `now` from a ``LedgerClock``.
/// quotad's event-loop thread owns the one instance, so there are no locks (the Redis model).
///
/// Every change increments the global ``revision`` once, as etcd's revision does. Changes are
/// journaled until the caller has made them durable (``pendingChanges``, then
/// ``acknowledgeCommit()``), or undone with ``rollbackUncommitted()`` when the store failed, so
/// half of a change is never left behind.
public struct Ledger: Sendable {
    /// The revision of the last change; 0 for an empty ledger.
    public internal(set) var revision: Int64
    /// Every pool, by path.
    public internal(set) var pools: [PoolPath: Pool]
    /// Every lease the ledger remembers: active ones, and ended ones until their retention runs out.
    public internal(set) var leases: [LeaseID: Lease]
    /// How long a released or expired lease is remembered, in seconds, so that a retried `release`
    /// answers with its state.
    public let retentionSeconds: Int64

    /// For every proper prefix of an existing pool's path (whether or not that prefix is a pool),
    /// the existing pools below it: `c1` → {`c1/ns1`, `c1/ns1/x`}. At most 3 entries per pool.
    var poolsBelow: [PoolPath: Set<PoolPath>] = [:]
    /// Active leases by the pool they were reserved in (not their ancestors).
    var activeByPool: [PoolPath: Set<LeaseID>] = [:]
    /// Deadlines of active leases, earliest first. Entries go stale on renew or release and are
    /// skipped when popped.
    var expiryQueue = Heap<ScheduledLease>()
    /// When each ended lease may be forgotten, earliest first.
    var purgeQueue = Heap<ScheduledLease>()
    /// Changes since the last acknowledged commit.
    var journal = Journal()

    /// An empty ledger.
    /// - Parameter retentionSeconds: how long ended leases are remembered (default one hour).
    public init(retentionSeconds: Int64 = 3600) {
        self.revision = 0
        self.pools = [:]
        self.leases = [:]
        self.retentionSeconds = retentionSeconds
    }

    /// A ledger rebuilt from stored rows, with derived sums recomputed.
    ///
    /// Leases whose deadline passed while quotad was down are still `active` here; call
    /// ``expireDue(now:limit:)`` until it returns nothing, and commit, before serving requests.
    /// - Parameters:
    ///   - pools: the stored pools.
    ///   - leases: the stored leases, active and ended.
    ///   - revision: the stored global revision.
    ///   - retentionSeconds: how long ended leases are remembered.
    public init(restoringPools pools: [Pool], leases: [Lease], revision: Int64, retentionSeconds: Int64 = 3600) {
        self.init(retentionSeconds: retentionSeconds)
        self.revision = revision
        for var pool in pools {
            pool.reserved = .empty
            pool.activeLeases = 0
            self.pools[pool.name] = pool
            for ancestor in pool.name.ancestors { poolsBelow[ancestor, default: []].insert(pool.name) }
        }
        for lease in leases {
            self.leases[lease.id] = lease
            switch lease.state {
            case .active:
                activeByPool[lease.pool, default: []].insert(lease.id)
                expiryQueue.insert(ScheduledLease(at: lease.expiresAt, id: lease.id))
                for path in chargedPools(of: lease.pool) {
                    // Stored leases were granted within range; a sum that no longer fits is kept as it was.
                    if let sum = try? self.pools[path]!.reserved.adding(lease.resources) {
                        self.pools[path]!.reserved = sum.droppingZeros()
                    }
                    self.pools[path]!.activeLeases += 1
                }
            case .released, .expired:
                purgeQueue.insert(ScheduledLease(at: purgeTime(of: lease), id: lease.id))
            }
        }
    }

    /// The pools a lease in `path` is charged to: `path` itself if it exists, then each existing
    /// ancestor, nearest first.
    func chargedPools(of path: PoolPath) -> [PoolPath] {
        var result: [PoolPath] = []
        if pools[path] != nil { result.append(path) }
        for ancestor in path.ancestors where pools[ancestor] != nil { result.append(ancestor) }
        return result
    }

    /// The view of a pool, or nil when it does not exist.
    public func view(of path: PoolPath) -> PoolView? {
        guard let pool = pools[path] else { return nil }
        return pool.view(children: children(of: path))
    }

    /// The pools whose nearest existing ancestor is `path`: its direct children, and deeper pools
    /// when the levels between are not pools themselves.
    func children(of path: PoolPath) -> [PoolPath] {
        guard let below = poolsBelow[path] else { return [] }
        return below.filter { pool in
            pool.ancestors.prefix { $0 != path }.allSatisfy { pools[$0] == nil }
        }.sorted()
    }

    /// Views of every pool, in path order.
    public func allViews() -> [PoolView] {
        pools.keys.sorted().compactMap { view(of: $0) }
    }

    /// The active leases charged to a pool: those reserved in it or in any pool below it.
    /// - Parameter path: the pool.
    /// - Returns: the leases, ordered by id.
    public func activeLeases(chargedTo path: PoolPath) -> [Lease] {
        // Active leases always sit in existing pools: a pool holding any cannot be deleted.
        var ids: [LeaseID] = Array(activeByPool[path] ?? [])
        for pool in poolsBelow[path] ?? [] {
            ids.append(contentsOf: activeByPool[pool] ?? [])
        }
        return ids.sorted().compactMap { leases[$0] }
    }
}

/// A lease id due at a time, ordered by time, for the expiry and purge queues.
struct ScheduledLease: Comparable, Sendable {
    var at: Timestamp
    var id: LeaseID

    static func < (lhs: ScheduledLease, rhs: ScheduledLease) -> Bool {
        lhs.at != rhs.at ? lhs.at < rhs.at : lhs.id < rhs.id
    }
}
