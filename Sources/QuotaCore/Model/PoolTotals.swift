/// Sums over a set of pools, per resource: what one `inspect {labelSelector}` answers for a Rancher
/// project or a cluster (issue #5).
///
/// Only the selected pools with no selected ancestor are summed, because an ancestor's `reserved`
/// already includes its descendants' leases; a lease is therefore never counted twice.
public struct PoolTotals: Sendable, Equatable {
    /// How many pools were summed (the topmost selected ones).
    public var pools: Int64 = 0
    /// Their active leases, descendants' included.
    public var activeLeases: Int64 = 0
    public var capacity = ResourceList()
    public var reserved = ResourceList()
    public var available = ResourceList()
    /// The sum of `base` over the summed pools that have one.
    public var base = ResourceList()
    /// The sum of `effective` over the summed pools that have a base.
    public var effective = ResourceList()

    public init() {}

    /// Sums `views`, skipping any whose ancestor is among them.
    /// - Parameter views: the selected pools.
    /// - Returns: the totals.
    /// - Throws: ``QuotaError/quantityOverflow(field:)`` (-32602) when a sum reaches 2^63 units,
    ///   naming the total, e.g. `totals.capacity["limits.memory"]`.
    public static func summing(_ views: [PoolView]) throws(QuotaError) -> PoolTotals {
        let selected = Set(views.map(\.name))
        var totals = PoolTotals()
        for view in views where !view.name.ancestors.contains(where: selected.contains) {
            totals.pools += 1
            totals.activeLeases += view.activeLeases
            totals.capacity = try totals.capacity.adding(view.capacity, field: "totals.capacity")
            totals.reserved = try totals.reserved.adding(view.reserved, field: "totals.reserved")
            totals.available = try totals.available.adding(view.available, field: "totals.available")
            if let base = view.base { totals.base = try totals.base.adding(base, field: "totals.base") }
            if let effective = view.effective {
                totals.effective = try totals.effective.adding(effective, field: "totals.effective")
            }
        }
        return totals
    }
}
