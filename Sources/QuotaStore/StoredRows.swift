import CSQLite
import JSON
import QuotaCore

/// How pools and leases map to SQLite table rows (resource lists and labels as ``ColumnCoding``).
enum StoredRows {
    /// A row of a stepped statement, read by column index.
    struct Row {
        let statement: OpaquePointer

        func text(_ column: Int32) -> String? {
            guard sqlite3_column_type(statement, column) != SQLITE_NULL, let bytes = sqlite3_column_text(statement, column) else { return nil }
            return String(cString: bytes)
        }

        func integer(_ column: Int32) -> Int64? {
            guard sqlite3_column_type(statement, column) != SQLITE_NULL else { return nil }
            return sqlite3_column_int64(statement, column)
        }

        func requiredText(_ column: Int32, _ name: String) throws(StoreError) -> String {
            guard let value = text(column) else { throw .unavailable("column \(name) is NULL") }
            return value
        }

        func requiredInteger(_ column: Int32, _ name: String) throws(StoreError) -> Int64 {
            guard let value = integer(column) else { throw .unavailable("column \(name) is NULL") }
            return value
        }
    }

    static func pool(from row: Row) throws(StoreError) -> Pool {
        let name = try row.requiredText(0, "pools.name")
        return Pool(
            name: try ColumnCoding.decode { () throws(InvalidValue) in try PoolPath(name) },
            capacity: try ColumnCoding.resourceList(row.requiredText(1, "pools.capacity")),
            maxLeases: row.integer(2),
            base: try row.text(3).map { (text: String) throws(StoreError) in try ColumnCoding.resourceList(text) },
            labels: try ColumnCoding.labels(row.requiredText(4, "pools.labels")),
            revision: try row.requiredInteger(5, "pools.revision")
        )
    }

    static func lease(from row: Row) throws(StoreError) -> Lease {
        let id = try row.requiredText(0, "leases.id")
        let pool = try row.requiredText(1, "leases.pool")
        let stateText = try row.requiredText(5, "leases.state")
        guard let state = LeaseState(rawValue: stateText) else {
            throw .unavailable("lease \(id) has unknown state \(stateText)")
        }
        return Lease(
            id: try ColumnCoding.decode { () throws(InvalidValue) in try LeaseID(id) },
            pool: try ColumnCoding.decode { () throws(InvalidValue) in try PoolPath(pool) },
            resources: try ColumnCoding.resourceList(row.requiredText(2, "leases.resources")),
            holder: try row.requiredText(3, "leases.holder"),
            labels: try ColumnCoding.labels(row.requiredText(4, "leases.labels")),
            state: state,
            createdAt: Timestamp(nanosecondsSinceEpoch: try row.requiredInteger(6, "leases.created_at")),
            expiresAt: Timestamp(nanosecondsSinceEpoch: try row.requiredInteger(7, "leases.expires_at")),
            ttlSeconds: try row.requiredInteger(8, "leases.ttl_seconds"),
            revision: try row.requiredInteger(9, "leases.revision"),
            modRevision: try row.requiredInteger(10, "leases.mod_revision"),
            endedAt: row.integer(11).map { Timestamp(nanosecondsSinceEpoch: $0) }
        )
    }

    static func bindings(for pool: Pool) -> [SQLiteStore.Binding] {
        [
            .text(pool.name.rawValue),
            .text(ColumnCoding.encode(pool.capacity)),
            pool.maxLeases.map { .integer($0) } ?? .null,
            pool.base.map { .text(ColumnCoding.encode($0)) } ?? .null,
            .text(ColumnCoding.encode(pool.labels)),
            .integer(pool.revision),
        ]
    }

    static func bindings(for lease: Lease) -> [SQLiteStore.Binding] {
        [
            .text(lease.id.rawValue),
            .text(lease.pool.rawValue),
            .text(ColumnCoding.encode(lease.resources)),
            .text(lease.holder),
            .text(ColumnCoding.encode(lease.labels)),
            .text(lease.state.rawValue),
            .integer(lease.createdAt.nanosecondsSinceEpoch),
            .integer(lease.expiresAt.nanosecondsSinceEpoch),
            .integer(lease.ttlSeconds),
            .integer(lease.revision),
            .integer(lease.modRevision),
            lease.endedAt.map { .integer($0.nanosecondsSinceEpoch) } ?? .null,
        ]
    }
}
