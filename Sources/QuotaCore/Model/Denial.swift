/// Why a reservation was refused: the first pool on the lease's path that lacks room.
public struct Denial: Sendable, Equatable {
    /// The pool that lacks room: the lease's own pool or one of its ancestors.
    public var pool: PoolPath
    /// The requested amounts of the resources this pool limits (and `leases: 1` when it has `maxLeases`).
    public var requested: ResourceList
    /// What the pool has left of those resources, never below zero.
    public var available: ResourceList
    /// For each resource that does not fit: requested + reserved − capacity, the amount that must be
    /// released before this reservation fits. An overcommitted pool names its overcommitted resources too.
    public var shortfall: ResourceList
}
