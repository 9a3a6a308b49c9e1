/// Where a lease is in its life, like etcd's lessor: granted leases are active until released or expired.
public enum LeaseState: String, Sendable, Equatable {
    /// Granted; its resources are charged to its pool and every existing ancestor.
    case active
    /// Given back by `release` or `reconcile`; charges nothing.
    case released
    /// Its TTL ran out before a renewal; charges nothing.
    case expired
}
