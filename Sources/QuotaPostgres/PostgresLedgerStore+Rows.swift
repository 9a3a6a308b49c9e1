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
            let name = try row.text(0, "name")
            pools.append(Pool(
                name: try ColumnCoding.decode { () throws(InvalidValue) in try PoolPath(name) },
                capacity: try ColumnCoding.resourceList(row.text(1, "capacity")),
                maxLeases: try row.optionalInteger(2, "max_leases"),
                base: try row.optionalText(3).map { (text: String) throws(StoreError) in try ColumnCoding.resourceList(text) },
                labels: try ColumnCoding.labels(row.text(4, "labels")),
                revision: try row.integer(5, "revision"),
                reserved: try ColumnCoding.resourceList(row.text(6, "reserved")),
                activeLeases: try row.integer(7, "active_leases")
            ))
        }
        return pools
    }

    static func leases(_ result: PostgresResult) throws(StoreError) -> [Lease] {
        var leases: [Lease] = []
        leases.reserveCapacity(result.rows.count)
        for values in result.rows {
            let row = Row(values: values, table: "quotad_leases")
            let id = try row.text(0, "id")
            let pool = try row.text(1, "pool")
            let stateText = try row.text(5, "state")
            guard let state = LeaseState(rawValue: stateText) else { throw .unavailable("lease \(id) has unknown state \(stateText)") }
            leases.append(Lease(
                id: try ColumnCoding.decode { () throws(InvalidValue) in try LeaseID(id) },
                pool: try ColumnCoding.decode { () throws(InvalidValue) in try PoolPath(pool) },
                resources: try ColumnCoding.resourceList(row.text(2, "resources")),
                holder: try row.text(3, "holder"),
                labels: try ColumnCoding.labels(row.text(4, "labels")),
                state: state,
                createdAt: Timestamp(nanosecondsSinceEpoch: try row.integer(6, "created_at")),
                expiresAt: Timestamp(nanosecondsSinceEpoch: try row.integer(7, "expires_at")),
                ttlSeconds: try row.integer(8, "ttl_seconds"),
                revision: try row.integer(9, "revision"),
                modRevision: try row.integer(10, "mod_revision"),
                endedAt: try row.optionalInteger(11, "ended_at").map { Timestamp(nanosecondsSinceEpoch: $0) }
            ))
        }
        return leases
    }

    static func meta(_ result: PostgresResult) throws(StoreError) -> Meta {
        guard result.rows.count == 1 else { throw .unavailable("quotad_meta has \(result.rows.count) rows, not 1") }
        let row = Row(values: result.rows[0], table: "quotad_meta")
        return Meta(
            revision: try row.integer(0, "revision"),
            position: CommitPosition(sequence: try row.integer(1, "commit_seq"), token: try row.text(3, "commit_token")),
            tombstoneHorizon: try row.integer(2, "tombstone_horizon")
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
    struct Row {
        let values: [String?]
        let table: String

        func optionalText(_ column: Int) -> String? {
            column < values.count ? values[column] : nil
        }

        func text(_ column: Int, _ name: String) throws(StoreError) -> String {
            guard let value = optionalText(column) else { throw .unavailable("\(table).\(name) is NULL") }
            return value
        }

        func optionalInteger(_ column: Int, _ name: String) throws(StoreError) -> Int64? {
            guard let text = optionalText(column) else { return nil }
            guard let value = Int64(text) else { throw .unavailable("\(table).\(name) is not an integer: \(text)") }
            return value
        }

        func integer(_ column: Int, _ name: String) throws(StoreError) -> Int64 {
            guard let value = try optionalInteger(column, name) else { throw .unavailable("\(table).\(name) is NULL") }
            return value
        }
    }
}
