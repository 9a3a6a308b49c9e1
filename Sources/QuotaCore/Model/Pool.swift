/// A quota scope: the headroom that active leases may hold at once, at one node of the pool tree.
public struct Pool: Sendable, Equatable {
    /// Its path, e.g. `harvester-a/default`.
    public var name: PoolPath
    /// The most that active leases may hold at once; a resource not named is not limited here.
    public var capacity: ResourceList
    /// The most leases active at once, or nil for no limit.
    public var maxLeases: Int64?
    /// The namespace ResourceQuota's own hard limits, when the caller keeps them here.
    public var base: ResourceList?
    /// Free labels, e.g. Rancher's project.
    public var labels: [String: String]
    /// The revision of its last change, including changes to what is reserved in it.
    public var revision: Int64

    /// Derived: the sum of every active lease charged here, descendants' leases included.
    public internal(set) var reserved: ResourceList
    /// Derived: how many active leases are charged here, descendants' leases included.
    public internal(set) var activeLeases: Int64

    public init(
        name: PoolPath, capacity: ResourceList, maxLeases: Int64?, base: ResourceList?,
        labels: [String: String], revision: Int64
    ) {
        self.name = name
        self.capacity = capacity
        self.maxLeases = maxLeases
        self.base = base
        self.labels = labels
        self.revision = revision
        self.reserved = .empty
        self.activeLeases = 0
    }

    /// A pool with the derived sums its writer computed: how a replica reads a pool that another
    /// replica committed to the shared store (issue #9), without summing every lease again.
    /// - Parameters:
    ///   - reserved: the sum of the active leases charged to it.
    ///   - activeLeases: how many active leases are charged to it.
    public init(
        name: PoolPath, capacity: ResourceList, maxLeases: Int64?, base: ResourceList?,
        labels: [String: String], revision: Int64, reserved: ResourceList, activeLeases: Int64
    ) {
        self.init(name: name, capacity: capacity, maxLeases: maxLeases, base: base, labels: labels, revision: revision)
        self.reserved = reserved
        self.activeLeases = activeLeases
    }

    /// True when more is reserved than the capacity allows, for some resource or for `maxLeases`.
    /// This happens when a capacity is lowered below what is held; the pool then grants nothing.
    public var isOvercommitted: Bool {
        if let maxLeases, activeLeases > maxLeases { return true }
        return capacity.amounts.contains { name, limit in (reserved[name] ?? .zero) > limit }
    }
}
