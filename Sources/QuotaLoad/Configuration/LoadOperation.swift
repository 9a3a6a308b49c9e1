/// One call a virtual migration controller makes.
public enum LoadOperation: String, Sendable, CaseIterable, Comparable {
    /// `reserve` of a fresh lease id (a new migration).
    case reserve
    /// `reserve` again of a lease the controller already holds, same pool and resources: an
    /// idempotent retry that must answer `created: false` (README, "Lease").
    case retry
    /// `renew` of a held lease.
    case renew
    /// `release` of the oldest held lease (the migration ended).
    case release
    /// `inspect {pool}` of one of the load pools.
    case inspect

    /// The JSON-RPC method the operation calls.
    public var method: String {
        switch self {
        case .reserve, .retry: "reserve"
        case .renew: "renew"
        case .release: "release"
        case .inspect: "inspect"
        }
    }

    public static func < (lhs: LoadOperation, rhs: LoadOperation) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
