import JSON

/// A request id (JSON-RPC 2.0 section 4: "An identifier established by the Client
/// that MUST contain a String, Number, or NULL value if included").
///
/// The server echoes it unchanged in the response (section 5). Numbers keep their
/// exact text, so `9007199254740993`, `1.0`, `-0` and `1e5` come back digit for
/// digit, and fractional ids (which section 4 says SHOULD NOT be used) are echoed
/// unchanged rather than refused.
public enum JSONRPCID: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    case string(String)
    case number(JSONNumber)
    case null

    /// Reads an id from the JSON value of the request's `"id"` member.
    /// - Parameter value: The member value.
    /// - Returns: `nil` when the value is a Boolean, an array or an object, which
    ///   section 4 does not allow.
    public init?(_ value: JSONValue) {
        switch value.materialized {
        case .string(let s): self = .string(s)
        case .number(let n): self = .number(n)
        case .null: self = .null
        case .bool, .array, .object, .encodable: return nil
        }
    }

    public init(integerLiteral value: Int64) {
        self = .number(JSONNumber(value))
    }

    public init(stringLiteral value: String) {
        self = .string(value)
    }

    /// The id as a JSON value.
    public var json: JSONValue {
        switch self {
        case .string(let s): .string(s)
        case .number(let n): .number(n)
        case .null: .null
        }
    }

    /// The id's JSON text, such as `7` or `"a"`.
    public var description: String { json.description }
}
