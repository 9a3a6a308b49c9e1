/// A JSON value (RFC 8259 section 3): `null`, `true`/`false`, a number, a string,
/// an array or an object.
///
/// Values are plain `Sendable` value types. Numbers keep their source text
/// (`JSONNumber`), and objects keep their members in source order, duplicates
/// included (`JSONObject`). Equality is structural and order-sensitive; numbers
/// compare by text. A result may also be carried as ``encodable(_:)``, a value that writes its
/// own text and otherwise reads as the tree it stands for (``JSONEncodable``).
///
/// Values are freed and compared recursively, so keep nesting modest; everything
/// the reader produces is at most `maxDepth` (default 64) levels deep.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
    /// A value that writes its own text (``JSONEncodable``); it reads as its ``JSONEncodable/json``.
    /// Indirect, so that every other value stays as small as before (the payload is one pointer).
    indirect case encodable(any JSONEncodable)

    /// Structural equality. Strings and member names compare code unit by code unit
    /// (RFC 8259 section 8.3), not by Swift's canonical equivalence; numbers compare
    /// by text; arrays and objects compare in order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.encodable(let value), _): value.json == rhs
        case (_, .encodable(let value)): lhs == value.json
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.number(a), .number(b)): a == b
        case let (.string(a), .string(b)): sameName(a, b)
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)): a == b
        default: false
        }
    }
}

extension JSONValue {
    /// The value itself, or for ``encodable(_:)`` its ``JSONEncodable/json``: never `.encodable`
    /// at the top (members inside may still be).
    public var materialized: JSONValue {
        if case .encodable(let value) = self { return value.json.materialized }
        return self
    }

    /// Whether the value is `null`.
    public var isNull: Bool {
        if case .null = materialized { return true }
        return false
    }

    /// The Boolean, if the value is `true` or `false`.
    public var boolValue: Bool? {
        if case .bool(let b) = materialized { return b }
        return nil
    }

    /// The number, if the value is one.
    public var numberValue: JSONNumber? {
        if case .number(let n) = materialized { return n }
        return nil
    }

    /// The number as an exact `Int64`, if the value is a whole number in range
    /// (see `JSONNumber.int64Value`).
    public var int64Value: Int64? {
        if case .number(let n) = materialized { return n.int64Value }
        return nil
    }

    /// The string, if the value is one.
    public var stringValue: String? {
        if case .string(let s) = materialized { return s }
        return nil
    }

    /// The elements, if the value is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = materialized { return a }
        return nil
    }

    /// The object, if the value is one.
    public var objectValue: JSONObject? {
        if case .object(let o) = materialized { return o }
        return nil
    }

    /// The value of the first member named `key`, if the value is an object that has one.
    public subscript(key: String) -> JSONValue? {
        switch self {
        case .object(let o): return o[key]
        case .encodable(let value): return value.member(key)
        default: return nil
        }
    }

    /// The element at `index`, if the value is an array and the index is in bounds.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let a) = materialized, a.indices.contains(index) { return a[index] }
        return nil
    }

    /// A short name of the value's type: `null`, `boolean`, `number`, `string`, `array` or `object`.
    public var typeName: String {
        switch materialized {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        case .encodable: "object"  // not reached: materialized is never .encodable
        }
    }
}

extension JSONValue: CustomStringConvertible {
    /// The compact JSON text of the value, as `JSONWriter` writes it.
    public var description: String {
        String(decoding: JSONWriter.serialize(self), as: UTF8.self)
    }
}
