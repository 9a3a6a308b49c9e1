import QuotaCore

/// The end-of-run check of issue 8, on snapshots taken after the load stopped: nothing that was
/// granted is missing, nothing is over capacity, and every pool's `reserved` is the exact sum of
/// its active leases. With several servers (replicas of one ledger, issue 9) each is checked so, and
/// all must report the same reserved amounts.
public enum ConsistencyCheck {
    /// How many missing leases are named one by one; the rest are counted in one sentence.
    public static let missingListed = 10

    /// Checks the snapshots against the leases the controllers still hold.
    /// - Parameters:
    ///   - snapshots: every load pool and their parent, read with `includeLeases: true`.
    ///   - held: the leases granted to the controllers and not released; those whose release is
    ///     uncertain (``HeldLease/releaseUncertain``) may be missing.
    /// - Returns: one sentence per violation (missing leases: the first ``missingListed``, then
    ///   one sentence with how many more); empty when everything holds.
    public static func violations(snapshots: [PoolSnapshot], held: [HeldLease]) -> [String] {
        var found: [String] = []
        var byName: [String: PoolSnapshot] = [:]
        for snapshot in snapshots { byName[snapshot.name] = snapshot }

        var missing: [String] = []
        // A lease whose release was answered -32001 may be released: it need not be listed.
        for lease in held where !lease.releaseUncertain {
            guard let pool = byName[lease.pool] else {
                missing.append("missing: lease \(lease.id) was granted in \(lease.pool), which was not inspected")
                continue
            }
            guard let listed = pool.leases.first(where: { $0.id == lease.id }) else {
                missing.append("missing: lease \(lease.id) was granted in \(lease.pool) and is not among its active leases")
                continue
            }
            if listed.state != "active" {
                missing.append("missing: lease \(lease.id) in \(lease.pool) is \(listed.state), not active")
            }
        }
        found += missing.prefix(missingListed)
        if missing.count > missingListed {
            found.append("missing: \(missing.count - missingListed) more of the \(held.count) held leases are not active")
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

    /// Compares what several servers report: replicas of one ledger must report the same
    /// reserved amounts (compared by value, `1Gi` = `1024Mi`) for every pool.
    /// - Parameter servers: each server's name and its snapshots; one server or none is never a
    ///   disagreement. A pool that only some servers listed is compared among those.
    /// - Returns: one sentence per pool on which the servers disagree, naming each server's amounts.
    public static func disagreements(_ servers: [(server: String, snapshots: [PoolSnapshot])]) -> [String] {
        guard servers.count > 1 else { return [] }
        var found: [String] = []
        var names: [String] = []
        for (_, snapshots) in servers {
            for snapshot in snapshots where !names.contains(snapshot.name) { names.append(snapshot.name) }
        }
        for name in names {
            var reports: [(server: String, reserved: [String: Quantity])] = []
            for (server, snapshots) in servers {
                guard let pool = snapshots.first(where: { $0.name == name }) else { continue }
                var reserved: [String: Quantity] = [:]
                for (resource, text) in pool.reserved {
                    guard let amount = try? Quantity(parsing: text) else {
                        found.append("format: \(server) \(name) reserved[\(resource)] \"\(text)\" is not a quantity")
                        continue
                    }
                    if amount != .zero { reserved[resource] = amount }
                }
                reports.append((server, reserved))
            }
            guard let first = reports.first, reports.contains(where: { $0.reserved != first.reserved }) else { continue }
            let amounts = reports.map { report in
                let list = report.reserved.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                return "\(list.isEmpty ? "nothing" : list) at \(report.server)"
            }
            found.append("replicas disagree: \(name) reserved " + amounts.joined(separator: "; "))
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
