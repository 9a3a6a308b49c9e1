/// What `inspect`, `reserve`, `release` and `setPool` report about a pool.
public struct PoolView: Sendable, Equatable {
    public var name: PoolPath
    public var capacity: ResourceList
    /// Everything charged here, descendants included.
    public var reserved: ResourceList
    /// capacity − reserved for each resource in capacity, never below zero.
    public var available: ResourceList
    public var overcommitted: Bool
    public var maxLeases: Int64?
    public var activeLeases: Int64
    public var base: ResourceList?
    /// base + reserved, for the resources in base: the value a controller writes into the
    /// ResourceQuota's `spec.hard`.
    public var effective: ResourceList?
    /// The pools directly below, by name.
    public var children: [PoolPath]
    public var labels: [String: String]
    public var revision: Int64
}

extension Pool {
    /// The view of this pool.
    /// - Parameter children: the pools directly below it.
    /// - Returns: its ``PoolView``; sums that overflow are capped by the quantity range check at grant time,
    ///   so `effective` cannot overflow for leases that were granted.
    public func view(children: [PoolPath]) -> PoolView {
        var available = ResourceList()
        for (name, limit) in capacity.amounts {
            let used = reserved[name] ?? .zero
            available[name] = used >= limit ? Quantity(integer: 0, format: limit.format) : ((try? limit.subtracting(used)) ?? .zero)
        }
        var effective: ResourceList?
        if let base {
            var sum = ResourceList()
            for (name, hard) in base.amounts {
                sum[name] = (try? hard.adding(reserved[name] ?? .zero)) ?? hard
            }
            effective = sum
        }
        return PoolView(
            name: name, capacity: capacity, reserved: reserved, available: available,
            overcommitted: isOvercommitted, maxLeases: maxLeases, activeLeases: activeLeases,
            base: base, effective: effective, children: children, labels: labels, revision: revision
        )
    }
}
