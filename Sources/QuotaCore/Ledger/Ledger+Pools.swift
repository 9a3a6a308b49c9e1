/// The answer to `setPool`.
public struct SetPoolOutcome: Sendable, Equatable {
    /// The pool after the change.
    public var pool: PoolView
    /// True when the pool did not exist before.
    public var created: Bool
}

extension Ledger {
    /// The most labels one pool or lease may carry.
    public static let maxLabels = 64
    /// The longest label value, holder or other free text, in bytes: a Kubernetes DNS subdomain's length.
    public static let maxTextBytes = 253

    /// Creates a pool or replaces its spec (capacity, maxLeases, base and labels; omitted ones are cleared).
    ///
    /// Lowering a capacity below what is reserved is allowed; the pool then reports
    /// `overcommitted: true` and grants nothing until releases bring it back down. A new pool counts
    /// the active leases already charged below it. Setting the same spec again changes nothing.
    /// - Parameters:
    ///   - path: the pool.
    ///   - capacity: the most headroom active leases may hold at once.
    ///   - maxLeases: the most leases active at once, or nil for no limit.
    ///   - base: the namespace quota's own hard limits, or nil.
    ///   - labels: free labels.
    /// - Returns: the pool's view and whether it was created.
    /// - Throws: ``QuotaError/invalidArgument(field:reason:)`` (-32602) for a negative or fractional
    ///   counted amount, a negative maxLeases or bad labels; ``QuotaError/quantityOverflow(field:)``
    ///   when base + reserved leaves the quantity range.
    public mutating func setPool(
        _ path: PoolPath, capacity: ResourceList, maxLeases: Int64?, base: ResourceList?, labels: [String: String]
    ) throws(QuotaError) -> SetPoolOutcome {
        try capacity.validate(field: "capacity")
        try base?.validate(field: "base")
        if let maxLeases, maxLeases < 0 {
            throw .invalidArgument(field: "maxLeases", reason: "must not be negative (got \(maxLeases))")
        }
        try Self.validate(labels: labels, field: "labels")

        if var pool = pools[path] {
            if pool.capacity == capacity && pool.maxLeases == maxLeases && pool.base == base && pool.labels == labels {
                return SetPoolOutcome(pool: view(of: path)!, created: false)
            }
            if let base { _ = try pool.reserved.restricted(to: base.amounts.keys).adding(base, field: "base") }
            pool.capacity = capacity
            pool.maxLeases = maxLeases
            pool.base = base
            pool.labels = labels
            pool.revision = nextRevision()
            record(pool: pool, at: path)
            return SetPoolOutcome(pool: view(of: path)!, created: false)
        }

        var pool = Pool(name: path, capacity: capacity, maxLeases: maxLeases, base: base, labels: labels, revision: 0)
        for lease in activeLeases(chargedTo: path) {
            pool.reserved = try pool.reserved.adding(lease.resources).droppingZeros()
            pool.activeLeases += 1
        }
        if let base { _ = try pool.reserved.restricted(to: base.amounts.keys).adding(base, field: "base") }
        pool.revision = nextRevision()
        record(pool: pool, at: path)
        return SetPoolOutcome(pool: view(of: path)!, created: true)
    }

    /// Deletes a pool that holds no active leases and has no child pools.
    /// - Parameter path: the pool.
    /// - Throws: ``QuotaError/poolNotFound(_:)`` (1001); ``QuotaError/poolBusy(_:reason:)`` (1006)
    ///   while it holds active leases (its descendants' included) or has child pools.
    public mutating func deletePool(_ path: PoolPath) throws(QuotaError) {
        guard let pool = pools[path] else { throw .poolNotFound(path) }
        if pool.activeLeases > 0 {
            throw .poolBusy(path, reason: "holds \(pool.activeLeases) active lease(s); release them first")
        }
        if let below = poolsBelow[path], !below.isEmpty {
            throw .poolBusy(path, reason: "has child pools: " + below.sorted().map(\.rawValue).joined(separator: ", "))
        }
        _ = nextRevision()
        record(pool: nil, at: path)
    }

    /// Checks a label map: qualified-name keys, values of at most ``maxTextBytes`` bytes.
    /// - Parameters:
    ///   - labels: the map.
    ///   - field: the request field, for errors (`labels["vmName"]`).
    /// - Throws: ``QuotaError/invalidArgument(field:reason:)`` (-32602).
    public static func validate(labels: [String: String], field: String) throws(QuotaError) {
        if labels.count > maxLabels {
            throw .invalidArgument(field: field, reason: "has \(labels.count) labels; at most \(maxLabels) are allowed")
        }
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            if let problem = NameRules.qualifiedNameProblem(key) {
                throw .invalidArgument(field: "\(field)[\(String(reflecting: key))]", reason: "label key \(problem)")
            }
            if value.utf8.count > maxTextBytes {
                throw .invalidArgument(field: "\(field)[\(String(reflecting: key))]", reason: "is \(value.utf8.count) bytes; at most \(maxTextBytes) are allowed")
            }
            // `release` and `inspect` find a lease by this label; a name they cannot be given is refused.
            if key == vmNameLabel, !isValidVMName(value) {
                throw .invalidArgument(field: "\(field)[\(String(reflecting: key))]", reason: vmNameRule)
            }
        }
    }

    /// The rule for a VM name, as the `vmName` label and the `vmName` param of `release` and
    /// `inspect` hold it.
    public static let vmNameRule = "a VM name must be 1 to \(maxTextBytes) bytes without control characters"

    /// True when `name` follows ``vmNameRule``.
    public static func isValidVMName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maxTextBytes && firstControlCharacter(in: name) == nil
    }

    /// The first C0 control character or DEL in `text`, if any: VM names and holders hold none.
    static func firstControlCharacter(in text: String) -> Unicode.Scalar? {
        text.unicodeScalars.first { $0.value < 0x20 || $0.value == 0x7F }
    }

    /// Checks a lease's holder: at most ``maxTextBytes`` bytes without control characters (a
    /// controller's name; a NUL could not be stored in PostgreSQL's text, issue #9).
    /// - Throws: -32602 ``QuotaError/invalidArgument(field:reason:)`` naming `holder`.
    static func validate(holder: String) throws(QuotaError) {
        if holder.utf8.count > maxTextBytes {
            throw .invalidArgument(field: "holder", reason: "is \(holder.utf8.count) bytes; at most \(maxTextBytes) are allowed")
        }
        if let control = firstControlCharacter(in: holder) {
            let hex = String(control.value, radix: 16, uppercase: true)
            throw .invalidArgument(field: "holder", reason: "must not contain control characters (found U+\(String(repeating: "0", count: 4 - hex.count) + hex))")
        }
    }
}
