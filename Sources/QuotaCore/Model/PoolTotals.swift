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

    /// The totals that left the exact range of quantities (2^63 units) and are therefore absent
    /// from their list, e.g. `capacity["limits.memory"]`. A listing never fails for them.
    public var overflow: [String] = []

    public init() {}

    /// Sums `views`, skipping any whose ancestor is among them.
    /// - Parameter views: the selected pools.
    /// - Returns: the totals; a resource whose sum reaches 2^63 units is left out of that total and
    ///   named in ``overflow``, never wrapped or rounded.
    public static func summing(_ views: [PoolView]) -> PoolTotals {
        let selected = Set(views.map(\.name))
        var totals = PoolTotals()
        var overflowed = Set<String>()
        func add(_ list: ResourceList, to total: inout ResourceList, named name: String) {
            for (resource, quantity) in list.amounts {
                let field = ResourceList.fieldName(name, resource)
                guard !overflowed.contains(field) else { continue }
                do {
                    total[resource] = try (total[resource] ?? .zero).adding(quantity)
                } catch {
                    overflowed.insert(field)
                    total[resource] = nil
                }
            }
        }
        for view in views where !view.name.ancestors.contains(where: selected.contains) {
            totals.pools += 1
            totals.activeLeases += view.activeLeases
            add(view.capacity, to: &totals.capacity, named: "capacity")
            add(view.reserved, to: &totals.reserved, named: "reserved")
            add(view.available, to: &totals.available, named: "available")
            if let base = view.base { add(base, to: &totals.base, named: "base") }
            if let effective = view.effective { add(effective, to: &totals.effective, named: "effective") }
        }
        totals.overflow = overflowed.sorted()
        return totals
    }
}
