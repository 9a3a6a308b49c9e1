import JSON

/// A decoded JSON-RPC 2.0 Request object (section 4), with by-name params.
///
/// A request without an id is a notification (section 4.1): the server runs it but
/// never answers it.
///
/// Each element of a request body (the whole body, or one element of a batch) is
/// checked by these rules, in this order; each failure is -32600 Invalid Request:
/// 1. It must be an object (section 4; section 6 for batch elements such as `1`).
/// 2. No member name may repeat. RFC 8259 leaves duplicates undefined, so a
///    request with two `"method"` members is refused rather than guessed at.
/// 3. `"id"`, if present, must be a string, number or null (section 4).
/// 4. `"jsonrpc"` must be exactly the string `"2.0"` (section 4): not missing,
///    not the number `2.0`, not `"1.0"`.
/// 5. `"method"` must be a string (section 4). Names beginning `rpc.` are reserved
///    for system extensions (section 4) and are dispatched like any other name.
/// 6. `"params"`, if present, must be an object or an array (section 4.2); it is
///    not -32600 but -32602 when it is an array (see `JSONRPCDispatcher`).
/// 7. No other members: a misspelt `"param"` would otherwise run the call with
///    no parameters.
///
/// The error is answered with the request's id when that id is present, unique
/// and valid, and with `null` otherwise (section 5: the id is Null when it could
/// not be detected). A request that is invalid is answered even if it has no id.
public struct JSONRPCRequest: Sendable, Equatable {
    /// The id to answer with, or `nil` for a notification.
    public var id: JSONRPCID?
    /// The name of the method to invoke.
    public var method: String
    /// The by-name parameters; empty when the request has no `"params"` member.
    public var params: JSONObject

    /// Creates a request.
    /// - Parameters:
    ///   - method: The method name.
    ///   - params: By-name parameters.
    ///   - id: The id, or `nil` for a notification.
    public init(method: String, params: JSONObject = JSONObject(), id: JSONRPCID?) {
        self.method = method
        self.params = params
        self.id = id
    }

    /// Whether the request is a notification (section 4.1): it has no `"id"` member.
    public var isNotification: Bool { id == nil }

    /// Decodes one Request object with the same rules `JSONRPCDispatcher` applies
    /// (listed on the type), then requires by-name params without repeated names.
    /// - Parameter value: One element of a batch, or a whole single-request body.
    /// - Throws: `JSONRPCError` -32600 for an invalid Request object, -32602 for
    ///   by-position params or a repeated parameter name.
    public init(from value: JSONValue) throws(JSONRPCError) {
        switch JSONRPCRequest.decodeEnvelope(value) {
        case .invalid(let error, _):
            throw error
        case .call(let id, let method, let params):
            self.init(method: method, params: try Params.byName(params).object, id: id)
        }
    }

    /// The request as JSON: `{"jsonrpc":"2.0","method":...,"params":...,"id":...}`,
    /// without `params` when empty and without `id` for a notification.
    public var json: JSONValue {
        var object: JSONObject = ["jsonrpc": "2.0", "method": .string(method)]
        if !params.isEmpty { object.append("params", .object(params)) }
        if let id { object.append("id", id.json) }
        return .object(object)
    }
}

/// The outcome of checking one element of a request body against section 4.
enum Envelope {
    /// A well-formed call; `params` is the raw `"params"` member (an object or an
    /// array) or `nil` when absent.
    case call(id: JSONRPCID?, method: String, params: JSONValue?)
    /// Not a valid Request object: answer `error` with `id`.
    case invalid(JSONRPCError, id: JSONRPCID)
}

extension JSONRPCRequest {
    /// The members a Request object may have (section 4).
    static let allowedMembers: Set<String> = ["jsonrpc", "method", "params", "id"]

    /// Checks one element of a request body against section 4 and extracts the
    /// call, following the rules listed on `JSONRPCRequest`.
    static func decodeEnvelope(_ value: JSONValue) -> Envelope {
        guard case .object(let object) = value else {
            return .invalid(.invalidRequest("a request must be an object, got \(describe(value))"), id: .null)
        }
        let rawID = object["id"]
        let id = rawID.flatMap(JSONRPCID.init)
        let duplicate = object.duplicateKey
        let replyID: JSONRPCID = (duplicate == "id" ? nil : id) ?? .null

        if let duplicate {
            return .invalid(.invalidRequest("member \(quoted(duplicate)) appears more than once"), id: replyID)
        }
        if let rawID, id == nil {
            return .invalid(.invalidRequest("\"id\" must be a string, a number or null, got \(describe(rawID))"), id: .null)
        }
        guard let version = object["jsonrpc"] else {
            return .invalid(.invalidRequest("member \"jsonrpc\" is missing; it must be the string \"2.0\""), id: replyID)
        }
        guard case .string("2.0") = version else {
            return .invalid(.invalidRequest("\"jsonrpc\" must be the string \"2.0\", got \(describe(version))"), id: replyID)
        }
        guard let methodValue = object["method"] else {
            return .invalid(.invalidRequest("member \"method\" is missing"), id: replyID)
        }
        guard case .string(let method) = methodValue else {
            return .invalid(.invalidRequest("\"method\" must be a string, got \(describe(methodValue))"), id: replyID)
        }
        let params = object["params"]
        switch params {
        case nil, .object?, .array?:
            break
        case let other?:
            return .invalid(.invalidRequest("\"params\" must be an object or an array, got \(describe(other))"), id: replyID)
        }
        for member in object.members where !allowedMembers.contains(member.key) {
            return .invalid(
                .invalidRequest("unknown member \(quoted(member.key)); a request has only jsonrpc, method, params and id"),
                id: replyID
            )
        }
        return .call(id: id, method: method, params: params)
    }
}

/// Describes a value for an error message: `number 5`, `string "abc"`, `boolean true`,
/// `null`, `array`, `object`. Long strings and numbers are cut short.
func describe(_ value: JSONValue) -> String {
    value.errorDescription
}

extension JSONValue {
    /// The value as an error message names it: `number 5`, `string "abc"`, `boolean true`,
    /// `null`, `array`, `object`; long strings and numbers cut short.
    public var errorDescription: String {
        switch materialized {
        case .null: "null"
        case .bool(let b): "boolean \(b)"
        case .number(let n): "number \(shortened(n.text))"
        case .string(let s): "string \(quoted(s))"
        case .array: "array"
        case .object, .encodable: "object"
        }
    }
}

/// A string as a JSON string literal, cut to 40 characters.
func quoted(_ s: String) -> String {
    let limit = 40
    if s.count <= limit { return JSONWriter.string(.string(s)) }
    return JSONWriter.string(.string(String(s.prefix(limit)))) + "..."
}

private func shortened(_ text: String) -> String {
    text.utf8.count <= 40 ? text : String(text.prefix(40)) + "..."
}
