/// The end-of-run check's outcome.
public struct CheckOutcome: Sendable {
    /// How many pools were inspected (the load pools and their parent).
    public var pools: Int
    /// Leases the controllers held when the load stopped; each must be active.
    public var leasesHeld: Int
    /// How many of them quota-load released after the check.
    public var releasedAfterCheck: Int
    /// One sentence per failed check.
    public var violations: [String]

    public var passed: Bool { violations.isEmpty }
}
