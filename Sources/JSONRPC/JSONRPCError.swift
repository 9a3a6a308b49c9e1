import JSON

/// A JSON-RPC 2.0 Error object (section 5.1): `code`, `message` and optional `data`.
///
/// The factory functions build the predefined errors of section 5.1 with the message
/// the spec gives followed by a short explanation, for example
/// `Invalid Request: "jsonrpc" must be the string "2.0", got number 2.0`.
/// Application errors should use codes outside -32768 to -32000, or -32000 to
/// -32099 ("Server error", reserved for implementation-defined server errors).
public struct JSONRPCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The predefined error codes (section 5.1).
    public enum Code {
        /// Invalid JSON was received by the server.
        public static let parseError = -32700
        /// The JSON sent is not a valid Request object.
        public static let invalidRequest = -32600
        /// The method does not exist / is not available.
        public static let methodNotFound = -32601
        /// Invalid method parameter(s).
        public static let invalidParams = -32602
        /// Internal JSON-RPC error.
        public static let internalError = -32603
    }

    /// The error code (section 5.1: "MUST be an integer").
    public var code: Int
    /// A short description (section 5.1: "SHOULD be limited to a concise single sentence").
    public var message: String
    /// Additional information; omitted from the response when `nil`.
    public var data: JSONValue?

    /// Creates an error object.
    /// - Parameters:
    ///   - code: The error code.
    ///   - message: A one-sentence description.
    ///   - data: Optional structured detail.
    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    /// -32700 Parse error: the body is not valid JSON (section 5.1), including invalid
    /// UTF-8, an empty body, and nesting past the depth limit.
    /// - Parameter detail: What is wrong, such as `syntax error at byte 3: ...`.
    /// - Returns: The error, with message `Parse error: <detail>`.
    public static func parseError(_ detail: String) -> Self {
        Self(code: Code.parseError, message: "Parse error: \(detail)")
    }

    /// -32600 Invalid Request: valid JSON that is not a valid Request object or batch
    /// (sections 4, 5.1 and 6).
    /// - Parameter detail: What is wrong with it.
    /// - Returns: The error, with message `Invalid Request: <detail>`.
    public static func invalidRequest(_ detail: String) -> Self {
        Self(code: Code.invalidRequest, message: "Invalid Request: \(detail)")
    }

    /// -32601 Method not found (section 5.1).
    /// - Parameter method: The requested method name, repeated in `data` as `{"method": ...}`.
    /// - Returns: The error, with message `Method not found`.
    public static func methodNotFound(_ method: String) -> Self {
        Self(code: Code.methodNotFound, message: "Method not found", data: ["method": .string(method)])
    }

    /// -32602 Invalid params (section 5.1).
    /// - Parameters:
    ///   - field: The parameter at fault, such as `ttl_ms` or `resources[1].amount`.
    ///   - reason: What is wrong, such as `required` or `must be a string, got number 5`.
    /// - Returns: The error, with message `Invalid params: <field>: <reason>` and
    ///   data `{"field": <field>, "reason": <reason>}`.
    public static func invalidParams(field: String, reason: String) -> Self {
        Self(
            code: Code.invalidParams,
            message: "Invalid params: \(field): \(reason)",
            data: ["field": .string(field), "reason": .string(reason)]
        )
    }

    /// -32603 Internal error (section 5.1).
    /// - Parameter detail: What failed; it is sent to the client, so keep secrets out.
    /// - Returns: The error, with message `Internal error: <detail>`.
    public static func internalError(_ detail: String) -> Self {
        Self(code: Code.internalError, message: "Internal error: \(detail)")
    }

    /// The Error object as JSON: `{"code":...,"message":...,"data":...}`, without
    /// `data` when it is `nil` (section 5.1: "This may be omitted").
    public var json: JSONValue {
        var object: JSONObject = ["code": JSONValue(code), "message": .string(message)]
        if let data { object.append("data", data) }
        return .object(object)
    }

    /// Reads an Error object strictly (section 5.1): an object with an integer
    /// `code`, a string `message`, optional `data`, and no other or repeated members.
    /// - Parameter json: The value of a response's `"error"` member.
    /// - Returns: `nil` when `json` is not such an object.
    public init?(json: JSONValue) {
        guard case .object(let object) = json, object.duplicateKey == nil,
              case .number(let codeNumber)? = object["code"],
              let code64 = codeNumber.int64Value, let code = Int(exactly: code64),
              case .string(let message)? = object["message"],
              object.keys.allSatisfy({ $0 == "code" || $0 == "message" || $0 == "data" })
        else { return nil }
        self.init(code: code, message: message, data: object["data"])
    }

    /// `error <code>: <message>`.
    public var description: String { "error \(code): \(message)" }
}
