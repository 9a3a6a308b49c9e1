import JSON

/// Cells for quotad's PoolView, Lease and Totals objects.
enum Views {
    /// `limits.cpu=3,limits.memory=5000Mi`, or `<none>`.
    static func list(_ value: JSONValue?) -> String {
        guard case .object(let object)? = value, !object.isEmpty else { return "<none>" }
        return object.members.map { "\($0.key)=\(text($0.value))" }.joined(separator: ",")
    }

    static func text(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: "<none>"
        case .string(let text)?: text
        case .number(let number)?: number.text
        case .bool(let flag)?: flag ? "true" : "false"
        case let other?: JSONWriter.string(other)
        }
    }

    static let poolHeaders = ["NAME", "CAPACITY", "RESERVED", "AVAILABLE", "BASE", "EFFECTIVE", "LEASES", "LABELS"]

    /// One row of a pool table.
    static func poolRow(_ pool: JSONValue) -> [String] {
        var leases = text(pool["activeLeases"])
        if let max = pool["maxLeases"], !max.isNull { leases += "/" + text(max) }
        var name = text(pool["name"])
        if pool["overcommitted"]?.boolValue == true { name += " (overcommitted)" }
        return [
            name, list(pool["capacity"]), list(pool["reserved"]), list(pool["available"]),
            list(pool["base"]), list(pool["effective"]), leases, list(pool["labels"]),
        ]
    }

    /// A pool table; `totals` (from inspect with a selector) adds a TOTAL row.
    static func poolTable(_ pools: [JSONValue], totals: JSONValue? = nil) -> String {
        var table = Table(headers: poolHeaders)
        for pool in pools { table.add(poolRow(pool)) }
        if let totals, case .object = totals {
            table.add([
                "TOTAL (\(text(totals["pools"])) pool\(totals["pools"]?.int64Value == 1 ? "" : "s"))", list(totals["capacity"]), list(totals["reserved"]),
                list(totals["available"]), list(totals["base"]), list(totals["effective"]), text(totals["activeLeases"]), "",
            ])
        }
        return table.rendered
    }

    static let leaseHeaders = ["LEASE", "POOL", "VMNAME", "RESOURCES", "HOLDER", "STATE", "EXPIRES"]

    /// One row of a lease table.
    static func leaseRow(_ lease: JSONValue) -> [String] {
        let holder = lease["holder"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "<none>"
        return [
            text(lease["id"]), text(lease["pool"]), text(lease["labels"]?["vmName"]), list(lease["resources"]),
            holder, text(lease["state"]), text(lease["expiresAt"]),
        ]
    }

    static func leaseTable(_ leases: [JSONValue]) -> String {
        var table = Table(headers: leaseHeaders)
        for lease in leases { table.add(leaseRow(lease)) }
        return table.rendered
    }
}

extension Table {
    init(headers: [String]) {
        self.headers = headers
    }
}
