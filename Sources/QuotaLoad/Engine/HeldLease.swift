/// A lease a virtual controller was granted and has not released: it must be active on the server.
public struct HeldLease: Sendable, Equatable {
    /// The lease's UUID, lower case.
    public var id: String
    /// The pool it was reserved in.
    public var pool: String
    /// The revision it was granted at: its fencing token for `release`.
    public var revision: Int64
    /// True when a release of it was answered -32001: the store failed, and the release may have
    /// been committed all the same (a connection lost after COMMIT). The lease may then be
    /// released already; the controller releases it again, and a `released: false, state:
    /// released` answer or its absence at the end is no violation.
    public var releaseUncertain: Bool

    public init(id: String, pool: String, revision: Int64, releaseUncertain: Bool = false) {
        self.id = id
        self.pool = pool
        self.revision = revision
        self.releaseUncertain = releaseUncertain
    }
}
