import JSON

/// A JSON-RPC 2.0 Response object (section 5): the id and either a result or an error.
public struct JSONRPCResponse: Sendable, Equatable {
    /// The request's id, or `null` when it could not be determined (section 5).
    public var id: JSONRPCID
    /// The `"result"` (success) or `"error"` (failure) member.
    public var outcome: Result<JSONValue, JSONRPCError>

    /// Creates a response.
    public init(id: JSONRPCID, outcome: Result<JSONValue, JSONRPCError>) {
        self.id = id
        self.outcome = outcome
    }

    /// A success response.
    public init(id: JSONRPCID, result: JSONValue) {
        self.init(id: id, outcome: .success(result))
    }

    /// An error response.
    public init(id: JSONRPCID, error: JSONRPCError) {
        self.init(id: id, outcome: .failure(error))
    }

    /// The result, for a success response.
    public var result: JSONValue? {
        if case .success(let v) = outcome { return v }
        return nil
    }

    /// The error, for an error response.
    public var error: JSONRPCError? {
        if case .failure(let e) = outcome { return e }
        return nil
    }

    /// The response as JSON, members in the order `{"jsonrpc":"2.0","result":...,"id":...}`
    /// or `{"jsonrpc":"2.0","error":{...},"id":...}` (section 5).
    public var json: JSONValue {
        switch outcome {
        case .success(let result):
            .object(["jsonrpc": "2.0", "result": result, "id": id.json])
        case .failure(let error):
            .object(["jsonrpc": "2.0", "error": error.json, "id": id.json])
        }
    }

    /// Appends the response's compact JSON text (the same text as `json`) to `buffer`.
    /// - Parameter buffer: The buffer to append to.
    public func serialize(into buffer: inout [UInt8]) {
        switch outcome {
        case .success(let result):
            buffer.append(contentsOf: #"{"jsonrpc":"2.0","result":"#.utf8)
            JSONWriter.serialize(result, into: &buffer)
        case .failure(let error):
            buffer.append(contentsOf: #"{"jsonrpc":"2.0","error":"#.utf8)
            JSONWriter.serialize(error.json, into: &buffer)
        }
        buffer.append(contentsOf: #","id":"#.utf8)
        JSONWriter.serialize(id.json, into: &buffer)
        buffer.append(UInt8(ascii: "}"))
    }

    /// Why a value is not a valid Response object.
    public struct DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Reads a Response object strictly, as a client would (section 5): an object
    /// with `"jsonrpc": "2.0"`, exactly one of `"result"` and `"error"` (a valid Error
    /// object, section 5.1), an `"id"` that is a string, number or null, and no
    /// other or repeated members.
    /// - Parameter value: One response.
    /// - Throws: `DecodingError` naming the first problem.
    public init(from value: JSONValue) throws(DecodingError) {
        guard case .object(let object) = value else {
            throw DecodingError(reason: "a response must be an object, got \(describe(value))")
        }
        if let duplicate = object.duplicateKey {
            throw DecodingError(reason: "member \(quoted(duplicate)) appears more than once")
        }
        guard case .string("2.0")? = object["jsonrpc"] else {
            throw DecodingError(reason: "\"jsonrpc\" must be the string \"2.0\"")
        }
        guard let rawID = object["id"], let id = JSONRPCID(rawID) else {
            throw DecodingError(reason: "\"id\" must be present and a string, a number or null")
        }
        for key in object.keys where !["jsonrpc", "result", "error", "id"].contains(key) {
            throw DecodingError(reason: "unknown member \(quoted(key))")
        }
        switch (object["result"], object["error"]) {
        case (let result?, nil):
            self.init(id: id, result: result)
        case (nil, let errorValue?):
            guard let error = JSONRPCError(json: errorValue) else {
                throw DecodingError(reason: "\"error\" must be an object with an integer \"code\", a string \"message\" and optional \"data\"")
            }
            self.init(id: id, error: error)
        default:
            throw DecodingError(reason: "a response must have exactly one of \"result\" and \"error\"")
        }
    }

    /// Reads a whole response body: one Response object, or a non-empty array of
    /// them for a batch (section 6).
    /// - Parameter body: The UTF-8 body.
    /// - Returns: The responses, and whether the body was a batch array.
    /// - Throws: `DecodingError` when the body is not JSON or not such responses.
    public static func decode(body: [UInt8]) throws(DecodingError) -> (responses: [JSONRPCResponse], isBatch: Bool) {
        let value: JSONValue
        do throws(JSONParseError) {
            value = try JSONReader.parse(body)
        } catch {
            throw DecodingError(reason: "not JSON: \(error)")
        }
        if case .array(let elements) = value {
            guard !elements.isEmpty else { throw DecodingError(reason: "an empty batch response") }
            var responses: [JSONRPCResponse] = []
            for element in elements {
                responses.append(try JSONRPCResponse(from: element))
            }
            return (responses, true)
        }
        return ([try JSONRPCResponse(from: value)], false)
    }
}
