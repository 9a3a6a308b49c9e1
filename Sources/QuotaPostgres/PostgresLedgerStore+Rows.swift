import JSON
import QuotaCore
import QuotaStore

/// How pools and leases map to rows: text columns in ``ColumnCoding``'s form, times in nanoseconds
/// since the epoch, written through `json_to_recordset` and read back in PostgreSQL's text format.
extension PostgresLedgerStore {
    /// A pool as one element of `json_to_recordset`'s input.
    static func row(_ pool: Pool) -> JSONValue {
        [
            "name": .string(pool.name.rawValue),
            "capacity": .string(ColumnCoding.encode(pool.capacity)),
            "max_leases": pool.maxLeases.map { JSONValue.number(JSONNumber($0)) } ?? .null,
            "base": pool.base.map { JSONValue.string(ColumnCoding.encode($0)) } ?? .null,
            "labels": .string(ColumnCoding.encode(pool.labels)),
            "revision": .number(JSONNumber(pool.revision)),
            "reserved": .string(ColumnCoding.encode(pool.reserved)),
            "active_leases": .number(JSONNumber(pool.activeLeases)),
        ]
    }

    /// A lease as one element of `json_to_recordset`'s input.
    static func row(_ lease: Lease) -> JSONValue {
        [
            "id": .string(lease.id.rawValue),
            "pool": .string(lease.pool.rawValue),
            "resources": .string(ColumnCoding.encode(lease.resources)),
            "holder": .string(lease.holder),
            "labels": .string(ColumnCoding.encode(lease.labels)),
            "state": .string(lease.state.rawValue),
            "created_at": .number(JSONNumber(lease.createdAt.nanosecondsSinceEpoch)),
            "expires_at": .number(JSONNumber(lease.expiresAt.nanosecondsSinceEpoch)),
            "ttl_seconds": .number(JSONNumber(lease.ttlSeconds)),
            "revision": .number(JSONNumber(lease.revision)),
            "mod_revision": .number(JSONNumber(lease.modRevision)),
            "ended_at": lease.endedAt.map { JSONValue.number(JSONNumber($0.nanosecondsSinceEpoch)) } ?? .null,
        ]
    }

    static func pools(_ result: PostgresResult) throws(StoreError) -> [Pool] {
        var pools: [Pool] = []
        pools.reserveCapacity(result.rows.count)
        for values in result.rows {
            let row = Row(values: values, table: "quotad_pools")
            let pool = try ColumnCoding.pool(from: row)
            // The sums as their writer computed them (a reload recomputes them anyway).
            pools.append(Pool(
                name: pool.name, capacity: pool.capacity, maxLeases: pool.maxLeases, base: pool.base, labels: pool.labels,
                revision: pool.revision, reserved: try ColumnCoding.resourceList(row.requiredText(6, "reserved")),
                activeLeases: try row.requiredInteger(7, "active_leases")
            ))
        }
        return pools
    }

    static func leases(_ result: PostgresResult) throws(StoreError) -> [Lease] {
        var leases: [Lease] = []
        leases.reserveCapacity(result.rows.count)
        for values in result.rows {
            leases.append(try ColumnCoding.lease(from: Row(values: values, table: "quotad_leases")))
        }
        return leases
    }

    static func meta(_ result: PostgresResult) throws(StoreError) -> Meta {
        guard result.rows.count == 1 else { throw .unavailable("quotad_meta has \(result.rows.count) rows, not 1") }
        let row = Row(values: result.rows[0], table: "quotad_meta")
        return Meta(
            revision: try row.requiredInteger(0, "revision"),
            position: CommitPosition(sequence: try row.requiredInteger(1, "commit_seq"), token: try row.requiredText(3, "commit_token")),
            tombstoneHorizon: try row.requiredInteger(2, "tombstone_horizon")
        )
    }

    /// The clock statement's microseconds as a timestamp.
    static func timestamp(_ result: PostgresResult) throws(StoreError) -> Timestamp {
        do {
            return Timestamp(nanosecondsSinceEpoch: try result.integer() * 1000)
        } catch {
            throw .unavailable("the database clock: \(error)")
        }
    }

    /// One row of text values, read by column.
    struct Row: StoredColumns {
        let values: [String?]
        let table: String

        func text(at column: Int) -> String? {
            column < values.count ? values[column] : nil
        }

        func integer(at column: Int, _ name: String) throws(StoreError) -> Int64? {
            guard let text = text(at: column) else { return nil }
            guard let value = Int64(text) else { throw .unavailable("\(table).\(name) is not an integer: \(text)") }
            return value
        }
    }
}
