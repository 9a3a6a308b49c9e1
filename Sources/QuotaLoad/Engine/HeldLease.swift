/// A lease a virtual controller was granted and has not released: it must be active on the server.
public struct HeldLease: Sendable, Equatable {
    /// The lease's UUID, lower case.
    public var id: String
    /// The pool it was reserved in.
    public var pool: String
    /// The revision it was granted at: its fencing token for `release`.
    public var revision: Int64

    public init(id: String, pool: String, revision: Int64) {
        self.id = id
        self.pool = pool
        self.revision = revision
    }
}
