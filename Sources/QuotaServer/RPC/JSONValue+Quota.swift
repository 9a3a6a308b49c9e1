import JSON
import QuotaCore

/// How quotad's domain values appear in JSON-RPC results. Quantities are always canonical strings.
extension ResourceList {
    /// `{"limits.cpu": "1", "limits.memory": "2Gi"}`, names in order.
    var json: JSONValue {
        .object(JSONObject(sorted.map { (key: $0.name.rawValue, value: JSONValue.string($0.quantity.description)) }))
    }

    /// Appends the text of ``json``.
    func encode(into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "{"))
        for (index, entry) in sorted.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            JSONWriter.serializeString(entry.name.rawValue, into: &buffer)
            JSONWriter.append(raw: ":\"", to: &buffer)
            entry.quantity.appendDescription(to: &buffer)  // never needs escaping
            buffer.append(UInt8(ascii: "\""))
        }
        buffer.append(UInt8(ascii: "}"))
    }
}

extension Dictionary where Key == String, Value == String {
    /// A label map as a JSON object, keys in order.
    var json: JSONValue {
        .object(JSONObject(sorted { $0.key < $1.key }.map { (key: $0.key, value: JSONValue.string($0.value)) }))
    }

    /// Appends the text of ``json``.
    func encode(into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "{"))
        for (index, entry) in sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            JSONWriter.serializeString(entry.key, into: &buffer)
            buffer.append(UInt8(ascii: ":"))
            JSONWriter.serializeString(entry.value, into: &buffer)
        }
        buffer.append(UInt8(ascii: "}"))
    }
}

extension Int64 {
    var json: JSONValue { .number(JSONNumber(self)) }
}

extension Lease {
    /// The lease as results carry it: a ``LeaseObject``, written straight to bytes.
    var json: JSONValue { .encodable(LeaseObject(lease: self)) }
}

extension PoolView {
    /// The PoolView object of the API: a ``PoolViewObject``, written straight to bytes.
    var json: JSONValue { .encodable(PoolViewObject(view: self)) }
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
