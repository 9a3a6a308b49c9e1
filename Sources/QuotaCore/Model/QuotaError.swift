/// The ways a ledger operation refuses; each maps to one JSON-RPC error code.
///
/// Domain codes use 1001–1099, outside the range JSON-RPC 2.0 reserves (section 5.1).
public enum QuotaError: Error, Sendable, Equatable {
    /// -32602: a param breaks a rule; `field` names it (`resources["limits.memory"]`).
    case invalidArgument(field: String, reason: String)
    /// -32602: a sum or difference of quantities would reach 2^63 units.
    case quantityOverflow(field: String)
    /// 1001: no pool by that name.
    case poolNotFound(PoolPath)
    /// 1002: some pool on the lease's path lacks room.
    case insufficientHeadroom(Denial)
    /// 1003: the lease id is active with another pool or other resources.
    case leaseConflict(existing: Lease)
    /// 1004: `renew` of a lease that is unknown, released or expired.
    case leaseNotActive(LeaseID, state: LeaseState?)
    /// 1005: no lease by that id.
    case leaseNotFound(LeaseID)
    /// 1006: `deletePool` of a pool that holds active leases or has child pools.
    case poolBusy(PoolPath, reason: String)
    /// 1007: the caller's `expectedRevision` (its fencing token) is not the lease's revision;
    /// `actual` is 0 when no such lease is known (for `reserve`: none is active).
    case revisionMismatch(LeaseID, expected: Int64, actual: Int64)
    /// 1005: no active lease in `pool` carries the label `vmName` with this value.
    case leaseNameNotFound(pool: PoolPath, vmName: String)
    /// 1009: more than one active lease in `pool` carries the label `vmName` with this value, so a
    /// name cannot say which one is meant; use the lease id (issue #5).
    case ambiguous(pool: PoolPath, vmName: String, leases: [LeaseID])

    /// The JSON-RPC error code.
    public var code: Int {
        switch self {
        case .invalidArgument, .quantityOverflow: -32602
        case .poolNotFound: 1001
        case .insufficientHeadroom: 1002
        case .leaseConflict: 1003
        case .leaseNotActive: 1004
        case .leaseNotFound, .leaseNameNotFound: 1005
        case .poolBusy: 1006
        case .revisionMismatch: 1007
        case .ambiguous: 1009
        }
    }

    /// The error's message, in words.
    public var message: String {
        switch self {
        case .invalidArgument(let field, let reason):
            "Invalid params: \(field): \(reason)"
        case .quantityOverflow(let field):
            "Invalid params: \(field): the sum leaves the exact range of quantities (|value| < 2^63 units)"
        case .poolNotFound(let pool):
            "PoolNotFound: no pool \(String(reflecting: pool.rawValue))"
        case .insufficientHeadroom(let denial):
            "InsufficientHeadroom: pool \(String(reflecting: denial.pool.rawValue)) lacks "
                + denial.shortfall.sorted.map { "\($0.quantity) of \($0.name)" }.joined(separator: ", ")
        case .leaseConflict(let existing):
            "LeaseConflict: lease \(existing.id) is active in pool \(String(reflecting: existing.pool.rawValue)) with other resources or another pool"
        case .leaseNotActive(let id, let state):
            "LeaseNotActive: lease \(id) is \(state?.rawValue ?? "unknown")"
        case .leaseNotFound(let id):
            "LeaseNotFound: no lease \(id)"
        case .poolBusy(let pool, let reason):
            "PoolBusy: pool \(String(reflecting: pool.rawValue)) \(reason)"
        case .revisionMismatch(let id, let expected, let actual):
            "RevisionMismatch: lease \(id) is at revision \(actual), not the expected \(expected)"
        case .leaseNameNotFound(let pool, let vmName):
            "LeaseNotFound: no lease for vmName \(String(reflecting: vmName)) active in pool \(String(reflecting: pool.rawValue))"
        case .ambiguous(let pool, let vmName, let leases):
            "Ambiguous: \(leases.count) active leases for vmName \(String(reflecting: vmName)) in pool \(String(reflecting: pool.rawValue)); name one by its id"
        }
    }
}
