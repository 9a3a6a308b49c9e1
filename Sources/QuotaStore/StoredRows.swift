import CSQLite
import JSON
import QuotaCore

/// How pools and leases map to table rows. Resource lists and labels are stored as JSON objects of
/// strings, quantities in canonical form: `{"limits.cpu":"1","limits.memory":"2Gi"}`.
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
            name: try decode { () throws(InvalidValue) in try PoolPath(name) },
            capacity: try resourceList(row.requiredText(1, "pools.capacity")),
            maxLeases: row.integer(2),
            base: try row.text(3).map { (text: String) throws(StoreError) in try resourceList(text) },
            labels: try labels(row.requiredText(4, "pools.labels")),
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
            id: try decode { () throws(InvalidValue) in try LeaseID(id) },
            pool: try decode { () throws(InvalidValue) in try PoolPath(pool) },
            resources: try resourceList(row.requiredText(2, "leases.resources")),
            holder: try row.requiredText(3, "leases.holder"),
            labels: try labels(row.requiredText(4, "leases.labels")),
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
            .text(encode(pool.capacity)),
            pool.maxLeases.map { .integer($0) } ?? .null,
            pool.base.map { .text(encode($0)) } ?? .null,
            .text(encode(pool.labels)),
            .integer(pool.revision),
        ]
    }

    static func bindings(for lease: Lease) -> [SQLiteStore.Binding] {
        [
            .text(lease.id.rawValue),
            .text(lease.pool.rawValue),
            .text(encode(lease.resources)),
            .text(lease.holder),
            .text(encode(lease.labels)),
            .text(lease.state.rawValue),
            .integer(lease.createdAt.nanosecondsSinceEpoch),
            .integer(lease.expiresAt.nanosecondsSinceEpoch),
            .integer(lease.ttlSeconds),
            .integer(lease.revision),
            .integer(lease.modRevision),
            lease.endedAt.map { .integer($0.nanosecondsSinceEpoch) } ?? .null,
        ]
    }

    // MARK: JSON columns

    static func encode(_ list: ResourceList) -> String {
        let object = JSONObject(list.sorted.map { (key: $0.name.rawValue, value: JSONValue.string($0.quantity.description)) })
        return String(decoding: JSONWriter.serialize(.object(object)), as: UTF8.self)
    }

    static func encode(_ labels: [String: String]) -> String {
        let object = JSONObject(labels.sorted { $0.key < $1.key }.map { (key: $0.key, value: JSONValue.string($0.value)) })
        return String(decoding: JSONWriter.serialize(.object(object)), as: UTF8.self)
    }

    static func resourceList(_ text: String) throws(StoreError) -> ResourceList {
        var list = ResourceList()
        for (key, value) in try stringMembers(text) {
            let name = try decode { () throws(InvalidValue) in try ResourceName(key) }
            do {
                list[name] = try Quantity(parsing: value)
            } catch {
                throw .unavailable("stored quantity \(String(reflecting: value)) of \(key) is invalid: \(error)")
            }
        }
        return list
    }

    static func labels(_ text: String) throws(StoreError) -> [String: String] {
        var labels: [String: String] = [:]
        for (key, value) in try stringMembers(text) { labels[key] = value }
        return labels
    }

    private static func stringMembers(_ text: String) throws(StoreError) -> [(String, String)] {
        let value: JSONValue
        do {
            value = try JSONReader.parse(Array(text.utf8))
        } catch {
            throw .unavailable("stored JSON \(String(reflecting: text)) is invalid: \(error)")
        }
        guard case .object(let object) = value else { throw .unavailable("stored JSON \(String(reflecting: text)) is not an object") }
        var result: [(String, String)] = []
        for member in object.members {
            guard case .string(let string) = member.value else {
                throw .unavailable("stored JSON \(String(reflecting: text)) has a non-string member \(member.key)")
            }
            result.append((member.key, string))
        }
        return result
    }

    private static func decode<T>(_ body: () throws(InvalidValue) -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch {
            throw .unavailable("stored value is invalid: \(error.reason)")
        }
    }
}
