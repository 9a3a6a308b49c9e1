import JSON
import QuotaCore

/// The PoolView object of the API (api/openrpc.json, `PoolView`): `{name, capacity, reserved,
/// available, overcommitted, maxLeases, activeLeases, base?, effective?, children, labels,
/// revision}`, quantities as canonical strings.
///
/// It writes its text straight to bytes (issue #8: every reserve, release and inspect answers
/// one); ``json`` is the same object as a tree, for readers and tests.
struct PoolViewObject: JSONEncodable {
    /// The view, a snapshot taken when the result was made.
    var view: PoolView

    var json: JSONValue {
        var object = JSONObject()
        object.append("name", .string(view.name.rawValue))
        object.append("capacity", view.capacity.json)
        object.append("reserved", view.reserved.json)
        object.append("available", view.available.json)
        object.append("overcommitted", .bool(view.overcommitted))
        object.append("maxLeases", view.maxLeases.map(\.json) ?? .null)
        object.append("activeLeases", view.activeLeases.json)
        if let base = view.base { object.append("base", base.json) }
        if let effective = view.effective { object.append("effective", effective.json) }
        object.append("children", .array(view.children.map { .string($0.rawValue) }))
        object.append("labels", view.labels.json)
        object.append("revision", view.revision.json)
        return .object(object)
    }

    func encode(into buffer: inout [UInt8]) {
        JSONWriter.append(raw: #"{"name":"#, to: &buffer)
        JSONWriter.serializeString(view.name.rawValue, into: &buffer)
        JSONWriter.append(raw: #","capacity":"#, to: &buffer)
        view.capacity.encode(into: &buffer)
        JSONWriter.append(raw: #","reserved":"#, to: &buffer)
        view.reserved.encode(into: &buffer)
        JSONWriter.append(raw: #","available":"#, to: &buffer)
        view.available.encode(into: &buffer)
        JSONWriter.append(raw: view.overcommitted ? #","overcommitted":true,"maxLeases":"# : #","overcommitted":false,"maxLeases":"#, to: &buffer)
        if let maxLeases = view.maxLeases {
            maxLeases.appendDecimal(to: &buffer)
        } else {
            JSONWriter.append(raw: "null", to: &buffer)
        }
        JSONWriter.append(raw: #","activeLeases":"#, to: &buffer)
        view.activeLeases.appendDecimal(to: &buffer)
        if let base = view.base {
            JSONWriter.append(raw: #","base":"#, to: &buffer)
            base.encode(into: &buffer)
        }
        if let effective = view.effective {
            JSONWriter.append(raw: #","effective":"#, to: &buffer)
            effective.encode(into: &buffer)
        }
        JSONWriter.append(raw: #","children":["#, to: &buffer)
        for (index, child) in view.children.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            JSONWriter.serializeString(child.rawValue, into: &buffer)
        }
        JSONWriter.append(raw: #"],"labels":"#, to: &buffer)
        view.labels.encode(into: &buffer)
        JSONWriter.append(raw: #","revision":"#, to: &buffer)
        view.revision.appendDecimal(to: &buffer)
        buffer.append(UInt8(ascii: "}"))
    }

    /// The members the call log reads (`name`, `revision`) without building the rest.
    func member(_ key: String) -> JSONValue? {
        switch key {
        case "name": .string(view.name.rawValue)
        case "revision": view.revision.json
        default: json[key]
        }
    }
}
