import JSON
import QuotaCore

/// The Lease object of the API (api/openrpc.json, `Lease`): `{id, pool, resources, holder, labels,
/// state, createdAt, expiresAt, ttlSeconds, revision, modRevision, endedAt?}`, times in RFC 3339
/// with microseconds, quantities as canonical strings.
///
/// It writes its text straight to bytes (issue #8: every reserve, renew and release answers one);
/// ``json`` is the same object as a tree, for readers and tests.
struct LeaseObject: JSONEncodable {
    /// The lease, a snapshot taken when the result was made.
    var lease: Lease

    var json: JSONValue {
        var object = JSONObject()
        object.append("id", .string(lease.id.rawValue))
        object.append("pool", .string(lease.pool.rawValue))
        object.append("resources", lease.resources.json)
        object.append("holder", .string(lease.holder))
        object.append("labels", lease.labels.json)
        object.append("state", .string(lease.state.rawValue))
        object.append("createdAt", .string(lease.createdAt.rfc3339))
        object.append("expiresAt", .string(lease.expiresAt.rfc3339))
        object.append("ttlSeconds", lease.ttlSeconds.json)
        object.append("revision", lease.revision.json)
        object.append("modRevision", lease.modRevision.json)
        if let endedAt = lease.endedAt { object.append("endedAt", .string(endedAt.rfc3339)) }
        return .object(object)
    }

    func encode(into buffer: inout [UInt8]) {
        JSONWriter.append(raw: #"{"id":"#, to: &buffer)
        JSONWriter.serializeString(lease.id.rawValue, into: &buffer)
        JSONWriter.append(raw: #","pool":"#, to: &buffer)
        JSONWriter.serializeString(lease.pool.rawValue, into: &buffer)
        JSONWriter.append(raw: #","resources":"#, to: &buffer)
        lease.resources.encode(into: &buffer)
        JSONWriter.append(raw: #","holder":"#, to: &buffer)
        JSONWriter.serializeString(lease.holder, into: &buffer)
        JSONWriter.append(raw: #","labels":"#, to: &buffer)
        lease.labels.encode(into: &buffer)
        JSONWriter.append(raw: #","state":"#, to: &buffer)
        JSONWriter.serializeString(lease.state.rawValue, into: &buffer)
        JSONWriter.append(raw: #","createdAt":""#, to: &buffer)
        lease.createdAt.appendRFC3339(to: &buffer)
        JSONWriter.append(raw: #"","expiresAt":""#, to: &buffer)
        lease.expiresAt.appendRFC3339(to: &buffer)
        JSONWriter.append(raw: #"","ttlSeconds":"#, to: &buffer)
        lease.ttlSeconds.appendDecimal(to: &buffer)
        JSONWriter.append(raw: #","revision":"#, to: &buffer)
        lease.revision.appendDecimal(to: &buffer)
        JSONWriter.append(raw: #","modRevision":"#, to: &buffer)
        lease.modRevision.appendDecimal(to: &buffer)
        if let endedAt = lease.endedAt {
            JSONWriter.append(raw: #","endedAt":""#, to: &buffer)
            endedAt.appendRFC3339(to: &buffer)
            buffer.append(UInt8(ascii: "\""))
        }
        buffer.append(UInt8(ascii: "}"))
    }

    /// The members the call log reads (`id`, `pool`, `holder`, `labels`, `state`, `revision`)
    /// without building the rest.
    func member(_ key: String) -> JSONValue? {
        switch key {
        case "id": .string(lease.id.rawValue)
        case "pool": .string(lease.pool.rawValue)
        case "holder": .string(lease.holder)
        case "labels": lease.labels.json
        case "state": .string(lease.state.rawValue)
        case "revision": lease.revision.json
        default: json[key]
        }
    }
}
