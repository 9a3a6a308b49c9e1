import QuotaCore

/// What to reserve for one VirtualMachineInstance's migration: the `reserve` params quotactl sends.
public struct Reservation: Sendable, Equatable {
    /// The lease id: the VMI's metadata.uid.
    public var lease: String
    /// The pool: `<cluster>/<metadata.namespace>`.
    public var pool: String
    /// The VMI's metadata.name, the lease's `vmName` label.
    public var vmName: String
    /// The amounts: `limits.cpu` (cores) and `limits.memory` (bytes), restricted to the pool's base.
    public var resources: ResourceList
    /// What the planner decided that the operator should know (requests used, resources dropped).
    public var notices: [String]

    public init(lease: String, pool: String, vmName: String, resources: ResourceList, notices: [String] = []) {
        self.lease = lease
        self.pool = pool
        self.vmName = vmName
        self.resources = resources
        self.notices = notices
    }
}
