import QuotaCore

/// The end-of-run check of issue 8, on snapshots taken after the load stopped: nothing that was
/// granted is missing, nothing is over capacity, and every pool's `reserved` is the exact sum of
/// its active leases.
public enum ConsistencyCheck {
    /// Checks the snapshots against the leases the controllers still hold.
    /// - Parameters:
    ///   - snapshots: every load pool and their parent, read with `includeLeases: true`.
    ///   - held: the leases granted to the controllers and not released.
    /// - Returns: one sentence per violation; empty when everything holds.
    public static func violations(snapshots: [PoolSnapshot], held: [HeldLease]) -> [String] {
        var found: [String] = []
        var byName: [String: PoolSnapshot] = [:]
        for snapshot in snapshots { byName[snapshot.name] = snapshot }

        for lease in held {
            guard let pool = byName[lease.pool] else {
                found.append("missing: lease \(lease.id) was granted in \(lease.pool), which was not inspected")
                continue
            }
            guard let listed = pool.leases.first(where: { $0.id == lease.id }) else {
                found.append("missing: lease \(lease.id) was granted in \(lease.pool) and is not among its active leases")
                continue
            }
            if listed.state != "active" {
                found.append("missing: lease \(lease.id) in \(lease.pool) is \(listed.state), not active")
            }
        }

        for pool in snapshots {
            if pool.overcommitted { found.append("over capacity: \(pool.name) reports overcommitted") }
            for (resource, capacityText) in pool.capacity.sorted(by: { $0.key < $1.key }) {
                guard let capacity = quantity(capacityText, "\(pool.name) capacity[\(resource)]", &found) else { continue }
                let reserved = pool.reserved[resource].flatMap { quantity($0, "\(pool.name) reserved[\(resource)]", &found) } ?? .zero
                if reserved > capacity {
                    found.append("over capacity: \(pool.name) reserved \(reserved) of \(resource), capacity \(capacity)")
                }
            }
            if pool.activeLeases != pool.leases.count {
                found.append("count: \(pool.name) reports \(pool.activeLeases) active leases and lists \(pool.leases.count)")
            }
            var sums: [String: Quantity] = [:]
            for lease in pool.leases {
                if lease.state != "active" { found.append("state: \(pool.name) lists lease \(lease.id) as \(lease.state)") }
                for (resource, text) in lease.resources {
                    guard let amount = quantity(text, "lease \(lease.id) resources[\(resource)]", &found) else { continue }
                    do {
                        sums[resource] = try (sums[resource] ?? .zero).adding(amount)
                    } catch {
                        found.append("sum: \(pool.name) \(resource) overflows: \(error)")
                    }
                }
            }
            for resource in Set(sums.keys).union(pool.reserved.keys).sorted() {
                let sum = sums[resource] ?? .zero
                let reserved = pool.reserved[resource].flatMap { quantity($0, "\(pool.name) reserved[\(resource)]", &found) } ?? .zero
                if sum != reserved {
                    found.append("sum: \(pool.name) reserved \(reserved) of \(resource), its active leases sum to \(sum)")
                }
            }
        }
        return found
    }

    private static func quantity(_ text: String, _ field: String, _ found: inout [String]) -> Quantity? {
        do {
            return try Quantity(parsing: text)
        } catch {
            found.append("format: \(field) \"\(text)\" is not a quantity: \(error)")
            return nil
        }
    }
}
