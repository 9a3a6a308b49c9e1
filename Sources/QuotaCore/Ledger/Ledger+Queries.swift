/// Read-only queries over pools and leases, for `inspect` and name-keyed `release` (issue #5).
extension Ledger {
    /// The label a lease carries with its VM's name (`metadata.name` of the VMI).
    public static let vmNameLabel = "vmName"

    /// Views of the pools whose labels `selector` matches, in path order.
    /// - Parameter selector: a label selector over pool labels.
    public func views(matching selector: LabelSelector) -> [PoolView] {
        pools.keys.sorted().compactMap { path in
            guard let pool = pools[path], selector.matches(pool.labels) else { return nil }
            return pool.view(children: children(of: path))
        }
    }

    /// Views of a pool's children: the pools whose nearest existing ancestor it is, in path order.
    /// - Parameter path: the pool.
    public func childViews(of path: PoolPath) -> [PoolView] {
        children(of: path).compactMap { view(of: $0) }
    }

    /// The one active lease reserved in exactly `pool` whose `vmName` label is `vmName`: how a
    /// controller that knows only the VM's name finds its migration's lease.
    ///
    /// Leases past their deadline but not yet swept do not count.
    /// - Parameters:
    ///   - pool: the pool the lease was reserved in (not an ancestor).
    ///   - vmName: the VM's name, 1 to 253 bytes.
    ///   - now: the current time.
    /// - Returns: the lease, or nil when no active lease has that name.
    /// - Throws: 1001 ``QuotaError/poolNotFound(_:)`` when the pool does not exist (a typo must not
    ///   read as "nothing to release"); 1009 ``QuotaError/ambiguous(pool:vmName:leases:)`` when
    ///   more than one lease has the name.
    public func activeLease(in pool: PoolPath, vmName: String, now: Timestamp) throws(QuotaError) -> Lease? {
        guard pools[pool] != nil else { throw .poolNotFound(pool) }
        let matches = (activeByPool[pool] ?? []).compactMap { id -> Lease? in
            guard let lease = leases[id], lease.expiresAt > now, lease.labels[Self.vmNameLabel] == vmName else { return nil }
            return lease
        }.sorted { $0.id < $1.id }
        if matches.count > 1 { throw .ambiguous(pool: pool, vmName: vmName, leases: matches.map(\.id)) }
        return matches.first
    }
}
