import JSON

/// A JSON-RPC 2.0 error object as the server sent it (section 5.1): `{code, message, data}`.
public struct ServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The error code, e.g. -32602 Invalid params or quotad's 1002 InsufficientHeadroom.
    public let code: Int
    /// The server's message.
    public let message: String
    /// The server's `data` member, when it sent one.
    public let data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    /// Reads an error object.
    /// - Returns: nil when `value` is not an object with an integer `code` and a string `message`.
    public init?(_ value: JSONValue) {
        guard let code = value["code"]?.int64Value, let message = value["message"]?.stringValue,
              let small = Int(exactly: code) else { return nil }
        self.init(code: small, message: message, data: value["data"])
    }

    /// `error 1002: message`.
    public var description: String { "error \(code): \(message)" }
}
