import QuotaCore

/// One stored row read by column position, whatever the engine (SQLite's stepped statement,
/// PostgreSQL's text result), so that every store decodes pools and leases the same way
/// (``ColumnCoding/pool(from:)``, ``ColumnCoding/lease(from:)``).
public protocol StoredColumns {
    /// The table, for error messages.
    var table: String { get }
    /// The column's text; nil for NULL.
    func text(at column: Int) -> String?
    /// The column as a 64-bit integer; nil for NULL.
    /// - Throws: ``StoreError/unavailable(_:)`` naming the column when it is not an integer.
    func integer(at column: Int, _ name: String) throws(StoreError) -> Int64?
}

extension StoredColumns {
    /// The column's text.
    /// - Throws: ``StoreError/unavailable(_:)`` naming the column when it is NULL.
    public func requiredText(_ column: Int, _ name: String) throws(StoreError) -> String {
        guard let value = text(at: column) else { throw .unavailable("\(table).\(name) is NULL") }
        return value
    }

    /// The column as a 64-bit integer.
    /// - Throws: ``StoreError/unavailable(_:)`` naming the column when it is NULL or not an integer.
    public func requiredInteger(_ column: Int, _ name: String) throws(StoreError) -> Int64 {
        guard let value = try integer(at: column, name) else { throw .unavailable("\(table).\(name) is NULL") }
        return value
    }
}

extension ColumnCoding {
    /// A pool from its first six columns: name, capacity, max_leases, base, labels, revision.
    /// Its derived sums are zero (restoring a ledger recomputes them).
    /// - Throws: ``StoreError/unavailable(_:)`` naming the column that is not quotad's.
    public static func pool(from row: some StoredColumns) throws(StoreError) -> Pool {
        let name = try row.requiredText(0, "name")
        return Pool(
            name: try decode { () throws(InvalidValue) in try PoolPath(name) },
            capacity: try resourceList(row.requiredText(1, "capacity")),
            maxLeases: try row.integer(at: 2, "max_leases"),
            base: try row.text(at: 3).map { (text: String) throws(StoreError) in try resourceList(text) },
            labels: try labels(row.requiredText(4, "labels")),
            revision: try row.requiredInteger(5, "revision")
        )
    }

    /// A lease from its twelve columns: id, pool, resources, holder, labels, state, created_at,
    /// expires_at (nanoseconds since the epoch), ttl_seconds, revision, mod_revision, ended_at.
    /// - Throws: ``StoreError/unavailable(_:)`` naming the column that is not quotad's.
    public static func lease(from row: some StoredColumns) throws(StoreError) -> Lease {
        let id = try row.requiredText(0, "id")
        let pool = try row.requiredText(1, "pool")
        let stateText = try row.requiredText(5, "state")
        guard let state = LeaseState(rawValue: stateText) else {
            throw .unavailable("lease \(id) has unknown state \(stateText)")
        }
        return Lease(
            id: try decode { () throws(InvalidValue) in try LeaseID(id) },
            pool: try decode { () throws(InvalidValue) in try PoolPath(pool) },
            resources: try resourceList(row.requiredText(2, "resources")),
            holder: try row.requiredText(3, "holder"),
            labels: try labels(row.requiredText(4, "labels")),
            state: state,
            createdAt: Timestamp(nanosecondsSinceEpoch: try row.requiredInteger(6, "created_at")),
            expiresAt: Timestamp(nanosecondsSinceEpoch: try row.requiredInteger(7, "expires_at")),
            ttlSeconds: try row.requiredInteger(8, "ttl_seconds"),
            revision: try row.requiredInteger(9, "revision"),
            modRevision: try row.requiredInteger(10, "mod_revision"),
            endedAt: try row.integer(at: 11, "ended_at").map { Timestamp(nanosecondsSinceEpoch: $0) }
        )
    }
}
