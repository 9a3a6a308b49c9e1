import CSQLite
import JSON
import QuotaCore

/// How pools and leases map to SQLite table rows (resource lists and labels as ``ColumnCoding``).
enum StoredRows {
    /// A row of a stepped statement, read by column index.
    struct Row: StoredColumns {
        let statement: OpaquePointer
        let table: String

        func text(at column: Int) -> String? {
            let index = Int32(column)
            guard sqlite3_column_type(statement, index) != SQLITE_NULL, let bytes = sqlite3_column_text(statement, index) else { return nil }
            return String(cString: bytes)
        }

        func integer(at column: Int, _ name: String) throws(StoreError) -> Int64? {
            let index = Int32(column)
            switch sqlite3_column_type(statement, index) {
            case SQLITE_NULL: return nil
            case SQLITE_INTEGER: return sqlite3_column_int64(statement, index)
            default: throw .unavailable("\(table).\(name) is not an integer")
            }
        }
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
