import JSON
import QuotaCore

/// How quotad's domain values appear in JSON-RPC results. Quantities are always canonical strings.
extension ResourceList {
    /// `{"limits.cpu": "1", "limits.memory": "2Gi"}`, names in order.
    var json: JSONValue {
        .object(JSONObject(sorted.map { (key: $0.name.rawValue, value: JSONValue.string($0.quantity.description)) }))
    }
}

extension Dictionary where Key == String, Value == String {
    /// A label map as a JSON object, keys in order.
    var json: JSONValue {
        .object(JSONObject(sorted { $0.key < $1.key }.map { (key: $0.key, value: JSONValue.string($0.value)) }))
    }
}

extension Int64 {
    var json: JSONValue { .number(JSONNumber(self)) }
}

extension Lease {
    /// The lease as results carry it.
    var json: JSONValue {
        var object = JSONObject()
        object.append("id", .string(id.rawValue))
        object.append("pool", .string(pool.rawValue))
        object.append("resources", resources.json)
        object.append("holder", .string(holder))
        object.append("labels", labels.json)
        object.append("state", .string(state.rawValue))
        object.append("createdAt", .string(createdAt.rfc3339))
        object.append("expiresAt", .string(expiresAt.rfc3339))
        object.append("ttlSeconds", ttlSeconds.json)
        object.append("revision", revision.json)
        object.append("modRevision", modRevision.json)
        if let endedAt { object.append("endedAt", .string(endedAt.rfc3339)) }
        return .object(object)
    }
}

extension PoolView {
    /// The PoolView object of the API.
    var json: JSONValue {
        var object = JSONObject()
        object.append("name", .string(name.rawValue))
        object.append("capacity", capacity.json)
        object.append("reserved", reserved.json)
        object.append("available", available.json)
        object.append("overcommitted", .bool(overcommitted))
        object.append("maxLeases", maxLeases.map(\.json) ?? .null)
        object.append("activeLeases", activeLeases.json)
        if let base { object.append("base", base.json) }
        if let effective { object.append("effective", effective.json) }
        object.append("children", .array(children.map { .string($0.rawValue) }))
        object.append("labels", labels.json)
        object.append("revision", revision.json)
        return .object(object)
    }
}

extension Denial {
    var json: JSONValue {
        var object = JSONObject()
        object.append("pool", .string(pool.rawValue))
        object.append("requested", requested.json)
        object.append("available", available.json)
        object.append("shortfall", shortfall.json)
        return .object(object)
    }
}

extension PoolTotals {
    /// The totals object of `inspect {labelSelector}`.
    var json: JSONValue {
        var object = JSONObject()
        object.append("pools", pools.json)
        object.append("activeLeases", activeLeases.json)
        object.append("capacity", capacity.json)
        object.append("reserved", reserved.json)
        object.append("available", available.json)
        object.append("base", base.json)
        object.append("effective", effective.json)
        if !overflow.isEmpty { object.append("overflow", .array(overflow.map { .string($0) })) }
        return .object(object)
    }
}
