// Literal syntax for building JSON values in code, for example a handler result:
//
//     let result: JSONValue = ["granted": true, "lease": ["id": "l-1", "ttl_ms": 30000], "note": nil]
//
// Dictionary literals keep their order and any duplicate keys (see JSONObject).

extension JSONValue: ExpressibleByNilLiteral {
    /// `nil` is JSON `null`.
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .number(JSONNumber(value)) }
}

extension JSONValue: ExpressibleByFloatLiteral {
    /// A float literal is written as Swift's shortest round-tripping description of
    /// the `Double` (`2.5`, `1e-07`). Literals are always finite.
    public init(floatLiteral value: Double) {
        if let number = JSONNumber(value) {
            self = .number(number)
        } else {
            self = .null
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// An object literal; members keep their order, duplicates are kept.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { (key: $0.0, value: $0.1) }))
    }
}

extension JSONValue {
    /// A number value from an `Int64`.
    public init(_ value: Int64) { self = .number(JSONNumber(value)) }

    /// A number value from an `Int`.
    public init(_ value: Int) { self = .number(JSONNumber(value)) }

    /// A string value.
    public init(_ value: String) { self = .string(value) }

    /// A Boolean value.
    public init(_ value: Bool) { self = .bool(value) }
}
