import JSON

/// Reads by-name parameters (JSON-RPC 2.0 section 4.2) and remembers which were read.
///
/// quotad accepts only by-name params. A handler reads every parameter it knows
/// through `Params`, then calls `rejectUnknown()` **before it changes anything**, so
/// a request with a misspelt or unsupported parameter fails with -32602 instead of
/// half-succeeding. The dispatcher does not call `rejectUnknown()` for the handler:
/// it would run after the handler had already acted.
///
/// Every failure is `JSONRPCError.invalidParams` (-32602, section 5.1) naming the
/// field and, for a wrong value, the value: `ttl_ms: must be an integer in
/// 1...86400000, got number 1.5`. Rules:
/// - A required parameter that is missing: reason `required`.
/// - For the `optional...` readers, a missing member and an explicit `null` both
///   read as `nil`.
/// - Integers are read with `JSONNumber.int64Value`: `5`, `5.0` and `5e0` are 5;
///   `1.5`, `1e400`, a value outside the given range, and the string `"5"` fail.
/// - An object with a repeated member name fails, naming the field and the name.
///
/// Nested objects can be read with their own `Params` (`nested`, `objectArray`),
/// whose field names carry the path (`limits.cpu`, `resources[1].amount`); call
/// `rejectUnknown()` on those too.
public struct Params: Sendable {
    /// The parameters object.
    public let object: JSONObject
    /// The path of this object inside the params, for error messages; empty at the top.
    public let path: String
    private var read: [Bool]

    /// Empty params, for a request without a `"params"` member (section 4.2: "This
    /// member MAY be omitted").
    public init() {
        object = JSONObject()
        path = ""
        read = []
    }

    /// Wraps a params object, refusing repeated member names.
    /// - Parameters:
    ///   - object: The `"params"` object, or a nested object.
    ///   - path: Where `object` sits, such as `limits` or `resources[0]`; empty for
    ///     the top-level params.
    /// - Throws: -32602; at the top, `field` is the repeated name and the reason
    ///   `duplicate parameter name`; nested, `field` is `path` and the reason
    ///   `duplicate member name "x"`.
    public init(_ object: JSONObject, path: String = "") throws(JSONRPCError) {
        if let duplicate = object.duplicateKey {
            if path.isEmpty {
                throw .invalidParams(field: duplicate, reason: "duplicate parameter name")
            }
            throw .invalidParams(field: path, reason: "duplicate member name \(quoted(duplicate))")
        }
        self.object = object
        self.path = path
        self.read = Array(repeating: false, count: object.count)
    }

    /// Builds top-level params from the raw `"params"` member of a Request.
    /// - Throws: -32602 with field `params` for by-position (array) params, or for a
    ///   repeated name.
    static func byName(_ raw: JSONValue?) throws(JSONRPCError) -> Params {
        switch raw {
        case nil:
            return Params()
        case .object(let object)?:
            return try Params(object)
        default:
            throw .invalidParams(field: "params", reason: "params must be by name (an object)")
        }
    }

    /// Whether there are no parameters.
    public var isEmpty: Bool { object.isEmpty }

    /// The parameter names, in request order.
    public var names: [String] { object.keys }

    /// Whether a parameter is present (even as `null`); does not count as reading it.
    public func contains(_ name: String) -> Bool { object.firstIndex(of: name) != nil }

    /// The full field name for error messages.
    public func field(_ name: String) -> String {
        path.isEmpty ? name : path + "." + name
    }

    private mutating func take(_ name: String) -> JSONValue? {
        guard let i = object.firstIndex(of: name) else { return nil }
        read[i] = true
        return object.members[i].value
    }

    private func missing(_ name: String) -> JSONRPCError {
        .invalidParams(field: field(name), reason: "required")
    }

    private func wrong(_ name: String, _ expected: String, _ value: JSONValue) -> JSONRPCError {
        .invalidParams(field: field(name), reason: "must be \(expected), got \(describe(value))")
    }

    /// The raw value of a parameter, marking it read.
    /// - Parameter name: The parameter name.
    /// - Returns: The value (`.null` for an explicit null), or `nil` when absent.
    public mutating func value(_ name: String) -> JSONValue? {
        take(name)
    }

    /// A required string parameter.
    /// - Parameter name: The parameter name.
    /// - Returns: The string.
    /// - Throws: -32602 when missing (`required`) or not a string.
    public mutating func string(_ name: String) throws(JSONRPCError) -> String {
        guard let v = take(name) else { throw missing(name) }
        guard case .string(let s) = v else { throw wrong(name, "a string", v) }
        return s
    }

    /// An optional string parameter; absent or `null` reads as `nil`.
    /// - Parameter name: The parameter name.
    /// - Throws: -32602 when present and not a string.
    public mutating func optionalString(_ name: String) throws(JSONRPCError) -> String? {
        guard let v = take(name), !v.isNull else { return nil }
        guard case .string(let s) = v else { throw wrong(name, "a string", v) }
        return s
    }

    /// A required Boolean parameter.
    /// - Parameter name: The parameter name.
    /// - Throws: -32602 when missing or not `true`/`false`.
    public mutating func bool(_ name: String) throws(JSONRPCError) -> Bool {
        guard let v = take(name) else { throw missing(name) }
        guard case .bool(let b) = v else { throw wrong(name, "a boolean", v) }
        return b
    }

    /// An optional Boolean parameter; absent or `null` reads as `nil`.
    /// - Parameter name: The parameter name.
    /// - Throws: -32602 when present and not `true`/`false`.
    public mutating func optionalBool(_ name: String) throws(JSONRPCError) -> Bool? {
        guard let v = take(name), !v.isNull else { return nil }
        guard case .bool(let b) = v else { throw wrong(name, "a boolean", v) }
        return b
    }

    /// A required integer parameter within `range`.
    /// - Parameters:
    ///   - name: The parameter name.
    ///   - range: The allowed values.
    /// - Returns: The exact value (see `JSONNumber.int64Value`).
    /// - Throws: -32602 when missing, not a number, not a whole number (`1.5`), too
    ///   big for any integer (`1e400`), or outside `range`; the reason names the
    ///   range and the value.
    public mutating func integer(_ name: String, in range: ClosedRange<Int64> = Int64.min...Int64.max) throws(JSONRPCError) -> Int64 {
        guard let v = take(name) else { throw missing(name) }
        return try checkInteger(name, v, range)
    }

    /// An optional integer parameter within `range`; absent or `null` reads as `nil`.
    /// - Parameters:
    ///   - name: The parameter name.
    ///   - range: The allowed values.
    /// - Throws: -32602 as for `integer(_:in:)` when present.
    public mutating func optionalInteger(_ name: String, in range: ClosedRange<Int64> = Int64.min...Int64.max) throws(JSONRPCError) -> Int64? {
        guard let v = take(name), !v.isNull else { return nil }
        return try checkInteger(name, v, range)
    }

    private func checkInteger(_ name: String, _ v: JSONValue, _ range: ClosedRange<Int64>) throws(JSONRPCError) -> Int64 {
        if case .number(let n) = v, let i = n.int64Value, range.contains(i) {
            return i
        }
        let expected: String
        switch (range.lowerBound, range.upperBound) {
        case (Int64.min, Int64.max): expected = "a 64-bit integer"
        case (let low, Int64.max): expected = "an integer >= \(low)"
        case (Int64.min, let high): expected = "an integer <= \(high)"
        case (let low, let high): expected = "an integer in \(low)...\(high)"
        }
        throw wrong(name, expected, v)
    }

    /// A required object parameter, checked for repeated member names.
    /// - Parameter name: The parameter name.
    /// - Throws: -32602 when missing, not an object, or with a repeated member name
    ///   (reason `duplicate member name "x"`).
    public mutating func object(_ name: String) throws(JSONRPCError) -> JSONObject {
        guard let v = take(name) else { throw missing(name) }
        return try checkObject(name, v)
    }

    /// An optional object parameter; absent or `null` reads as `nil`.
    /// - Parameter name: The parameter name.
    /// - Throws: -32602 when present and not an object, or with a repeated member name.
    public mutating func optionalObject(_ name: String) throws(JSONRPCError) -> JSONObject? {
        guard let v = take(name), !v.isNull else { return nil }
        return try checkObject(name, v)
    }

    private func checkObject(_ name: String, _ v: JSONValue) throws(JSONRPCError) -> JSONObject {
        guard case .object(let o) = v else { throw wrong(name, "an object", v) }
        if let duplicate = o.duplicateKey {
            throw .invalidParams(field: field(name), reason: "duplicate member name \(quoted(duplicate))")
        }
        return o
    }

    /// A required object parameter, as `Params` whose errors name `name.member`.
    /// - Parameter name: The parameter name.
    /// - Throws: -32602 as for `object(_:)`.
    public mutating func nested(_ name: String) throws(JSONRPCError) -> Params {
        try Params(object(name), path: field(name))
    }

    /// An optional object parameter as nested `Params`; absent or `null` reads as `nil`.
    /// - Parameter name: The parameter name.
    /// - Throws: -32602 as for `optionalObject(_:)`.
    public mutating func optionalNested(_ name: String) throws(JSONRPCError) -> Params? {
        guard let o = try optionalObject(name) else { return nil }
        return try Params(o, path: field(name))
    }

    /// A required array parameter.
    /// - Parameter name: The parameter name.
    /// - Throws: -32602 when missing or not an array.
    public mutating func array(_ name: String) throws(JSONRPCError) -> [JSONValue] {
        guard let v = take(name) else { throw missing(name) }
        guard case .array(let a) = v else { throw wrong(name, "an array", v) }
        return a
    }

    /// An optional array parameter; absent or `null` reads as `nil`.
    /// - Parameter name: The parameter name.
    /// - Throws: -32602 when present and not an array.
    public mutating func optionalArray(_ name: String) throws(JSONRPCError) -> [JSONValue]? {
        guard let v = take(name), !v.isNull else { return nil }
        guard case .array(let a) = v else { throw wrong(name, "an array", v) }
        return a
    }

    /// A required array of objects, each as nested `Params` named `name[i]`.
    /// - Parameter name: The parameter name.
    /// - Throws: -32602 when missing, not an array, or when an element is not an
    ///   object or repeats a member name (field `name[i]`).
    public mutating func objectArray(_ name: String) throws(JSONRPCError) -> [Params] {
        let elements = try array(name)
        var result: [Params] = []
        result.reserveCapacity(elements.count)
        for (i, element) in elements.enumerated() {
            let elementName = "\(name)[\(i)]"
            guard case .object(let o) = element else { throw wrong(elementName, "an object", element) }
            result.append(try Params(o, path: field(elementName)))
        }
        return result
    }

    /// Fails on the first parameter that was not read. Call it after reading every
    /// known parameter and before acting.
    /// - Throws: -32602 with `field` the first unread member name (in request order)
    ///   and reason `unknown parameter`.
    public func rejectUnknown() throws(JSONRPCError) {
        if let i = read.firstIndex(of: false) {
            throw .invalidParams(field: field(object.members[i].key), reason: "unknown parameter")
        }
    }
}
