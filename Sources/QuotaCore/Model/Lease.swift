/// Resources held in a pool for a while, keyed by a UUID (for a migration, the VMI's `metadata.uid`).
public struct Lease: Sendable, Equatable {
    /// The key, lower-case UUID.
    public var id: LeaseID
    /// The pool it is charged to (and every existing ancestor of it).
    public var pool: PoolPath
    /// What it holds.
    public var resources: ResourceList
    /// Who asked for it, e.g. a controller's name; free text, at most 253 characters.
    public var holder: String
    /// Free labels, e.g. `vmName`.
    public var labels: [String: String]
    /// Active, released or expired.
    public var state: LeaseState
    /// When it was granted.
    public var createdAt: Timestamp
    /// When it expires unless renewed (absolute, kept across restarts).
    public var expiresAt: Timestamp
    /// The TTL that `renew` applies when none is given, in seconds.
    public var ttlSeconds: Int64
    /// The global revision at which it was granted: its fencing token. Renewals do not change it.
    public var revision: Int64
    /// The revision of its last change (grant, renewal, release or expiry).
    public var modRevision: Int64
    /// When it was released or expired; nil while active.
    public var endedAt: Timestamp?

    public init(
        id: LeaseID, pool: PoolPath, resources: ResourceList, holder: String, labels: [String: String],
        state: LeaseState, createdAt: Timestamp, expiresAt: Timestamp, ttlSeconds: Int64,
        revision: Int64, modRevision: Int64, endedAt: Timestamp?
    ) {
        self.id = id
        self.pool = pool
        self.resources = resources
        self.holder = holder
        self.labels = labels
        self.state = state
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.ttlSeconds = ttlSeconds
        self.revision = revision
        self.modRevision = modRevision
        self.endedAt = endedAt
    }
}
