import QuotaCore

/// Someone quotad knows: a controller of one cluster, a Rancher integration, an operator (issue #6).
public struct Principal: Sendable, Equatable {
    /// Unique; also the holder of the leases a controller reserves, and, with mutual TLS, the
    /// client certificate's subject CN or a DNS SAN that authenticates it.
    public var name: String
    public var role: Role
    /// Where it may act; never empty.
    public var scopes: [PoolScope]

    public init(name: String, role: Role, scopes: [PoolScope]) {
        self.name = name
        self.role = role
        self.scopes = scopes
    }

    /// True when some scope covers `pool`.
    public func mayAccess(_ pool: PoolPath) -> Bool {
        scopes.contains { $0.covers(pool) }
    }

    /// True when it may see and act on every pool.
    public var isUnscoped: Bool { scopes.contains(.all) }
}
