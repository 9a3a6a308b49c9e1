/// A strict RFC 8259 JSON reader that decodes straight from UTF-8 bytes.
///
/// Accepted: exactly one JSON value (RFC 8259 section 2), optionally surrounded by
/// whitespace, where whitespace is only space, tab, line feed and carriage return.
/// Everything else is refused: trailing commas, leading zeros, `NaN`/`Infinity`,
/// comments, single quotes, a leading `+`, unescaped control characters (U+0000 to
/// U+001F) in strings, unknown escapes, and a byte order mark (section 8.1 says
/// implementations MUST NOT add one and MAY ignore it; this reader does not, so
/// callers that tolerate one strip it first, as `JSONRPCDispatcher` does).
///
/// Decisions for the text RFC 8259 leaves to implementations (the `i_` files of
/// JSONTestSuite):
/// - Numbers of any size or precision are valid (section 9 allows limits but this
///   reader sets none): `1e400`, `-1e-400` and 100-digit integers parse, and their
///   text is kept in `JSONNumber.text`. Range checks happen on conversion.
/// - Strings must be valid Unicode. Ill-formed UTF-8 (stray continuation bytes,
///   overlong forms, UTF-8-encoded surrogates, code points above U+10FFFF, cut-off
///   sequences, ISO 8859-1 text) throws `.invalidUTF8` (section 8.1). An escaped
///   UTF-16 surrogate that is not part of a high-low pair (`"\uD800"`, `"\uDFAA"`,
///   `"\uDd1e\uD834"`) throws `.syntax`: a Swift `String` holds Unicode scalar
///   values only and cannot represent a lone surrogate, and replacing it with
///   U+FFFD would silently change the data (section 8.2 calls such strings
///   unpredictable).
/// - Duplicate object member names are kept, and recorded in `JSONObject.duplicateKey`
///   for the caller to judge (section 4).
/// - Nesting is limited to `maxDepth` arrays and objects (section 9), `.tooDeep`
///   otherwise. The reader never recurses: it keeps its own stack, so any input,
///   such as 100,000 `[`, fails cleanly.
public enum JSONReader {
    /// The default limit on nesting of arrays and objects.
    public static let defaultMaxDepth = 64

    /// Parses one JSON text.
    /// - Parameters:
    ///   - bytes: The UTF-8 text.
    ///   - maxDepth: The most arrays and objects that may nest; `[[1]]` has depth 2,
    ///     a bare scalar depth 0. Values are freed recursively, so keep this modest.
    /// - Returns: The value.
    /// - Throws: `JSONParseError` for the first problem found, with its byte offset.
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw .syntax(offset: 0, reason: "no JSON value: the input is empty")
        }
        var parser = Parser(base.assumingMemoryBound(to: UInt8.self), count: bytes.count, maxDepth: maxDepth)
        return try parser.parseDocument()
    }

    /// Checks that bytes are one RFC 8259 JSON text, at any depth, without building values.
    ///
    /// Used to tell text nested past a limit (valid JSON, refused as a request) from text that
    /// is not JSON at all; the reader's stack is its own, so depth costs memory, not call stack.
    /// - Parameter bytes: The UTF-8 text.
    /// - Throws: `JSONParseError` for the first problem found, never `.tooDeep`.
    public static func validate(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw .syntax(offset: 0, reason: "no JSON value: the input is empty")
        }
        var parser = Parser(base.assumingMemoryBound(to: UInt8.self), count: bytes.count, maxDepth: .max)
        parser.keepsValues = false
        _ = try parser.parseDocument()
    }

    /// Parses one JSON text from a byte array.
    /// - Parameters:
    ///   - bytes: The UTF-8 text.
    ///   - maxDepth: The most arrays and objects that may nest.
    /// - Returns: The value.
    /// - Throws: `JSONParseError` for the first problem found.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        let result = bytes.withUnsafeBytes { raw -> Result<JSONValue, JSONParseError> in
            do throws(JSONParseError) {
                return .success(try parse(raw, maxDepth: maxDepth))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses one JSON text held in a string (its UTF-8 form).
    /// - Parameters:
    ///   - text: The JSON text.
    ///   - maxDepth: The most arrays and objects that may nest.
    /// - Returns: The value.
    /// - Throws: `JSONParseError` for the first problem found; offsets count UTF-8 bytes.
    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { buffer -> Result<JSONValue, JSONParseError> in
            do throws(JSONParseError) {
                return .success(try parse(UnsafeRawBufferPointer(buffer), maxDepth: maxDepth))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")

/// The reader's state: a cursor over the bytes and an explicit stack of the open
/// arrays and objects.
struct Parser {
    let p: UnsafePointer<UInt8>
    let end: Int
    let maxDepth: Int
    /// When false, closed containers are read as `null`: the text is checked without
    /// building a tree (a deep tree would be freed recursively).
    var keepsValues = true
    var pos = 0
    /// Reused buffer for strings that contain escapes.
    var scratch: [UInt8] = []

    init(_ p: UnsafePointer<UInt8>, count: Int, maxDepth: Int) {
        self.p = p
        self.end = count
        self.maxDepth = maxDepth
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < end {
            let b = p[pos]
            // RFC 8259 section 2: ws = space / horizontal tab / line feed / carriage return
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            pos += 1
        }
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if pos < end {
            throw unexpected("after the JSON value (only whitespace may follow it)")
        }
        return value
    }

    /// An error for the byte at `pos`: `.invalidUTF8` if it starts an ill-formed
    /// UTF-8 sequence, `.syntax` otherwise.
    func unexpected(_ context: String) -> JSONParseError {
        if pos < end && p[pos] >= 0x80 {
            do throws(JSONParseError) {
                _ = try utf8SequenceLength(at: pos)
            } catch {
                return error
            }
            return .syntax(offset: pos, reason: "unexpected non-ASCII character \(context)")
        }
        return .syntax(offset: pos, reason: "unexpected \(describeByte(p, pos, end)) \(context)")
    }

    /// An open array or object.
    struct Frame {
        var isObject: Bool
        /// Where the container's elements (in `values`) or members (in `members`) begin.
        var start: Int
        /// For an object, the name of the member whose value is being read.
        var key: String
    }

    /// Parses the value at `pos` (whitespace already skipped), iteratively: open
    /// containers live on `frames`, and their elements and members on two shared
    /// stacks, never on the call stack. A closed container copies its slice into an
    /// array of exactly the right size.
    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        var frames: [Frame] = []
        var values: [JSONValue] = []
        var members: [(key: String, value: JSONValue)] = []

        var value: JSONValue
        scanValue: while true {
            guard pos < end else {
                throw .syntax(offset: pos, reason: "unexpected end of input, expected a value")
            }
            switch p[pos] {
            case UInt8(ascii: "{"):
                guard frames.count < maxDepth else { throw .tooDeep(limit: maxDepth) }
                pos += 1
                skipWhitespace()
                if pos < end && p[pos] == UInt8(ascii: "}") {
                    pos += 1
                    value = .object(JSONObject())
                } else {
                    let key = try parseMemberName(first: true)
                    if frames.isEmpty { members.reserveCapacity(16) }
                    frames.append(Frame(isObject: true, start: members.count, key: key))
                    continue scanValue
                }
            case UInt8(ascii: "["):
                guard frames.count < maxDepth else { throw .tooDeep(limit: maxDepth) }
                pos += 1
                skipWhitespace()
                if pos < end && p[pos] == UInt8(ascii: "]") {
                    pos += 1
                    value = .array([])
                } else {
                    if frames.isEmpty { values.reserveCapacity(16) }
                    frames.append(Frame(isObject: false, start: values.count, key: ""))
                    continue scanValue
                }
            case quote:
                value = .string(try parseString())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = pos
                pos = try JSONNumber.scan(p, from: pos, end: end)
                value = .number(JSONNumber(uncheckedText: text(start, pos)))
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                value = .null
            default:
                throw unexpected("where a value was expected")
            }

            // A value is complete: add it to the innermost open container, and close
            // containers as long as their closing bracket follows.
            while !frames.isEmpty {
                let top = frames.count - 1
                skipWhitespace()
                if frames[top].isObject {
                    members.append((key: frames[top].key, value: value))
                    if pos < end && p[pos] == UInt8(ascii: ",") {
                        pos += 1
                        skipWhitespace()
                        frames[top].key = try parseMemberName(first: false)
                        continue scanValue
                    }
                    guard pos < end && p[pos] == UInt8(ascii: "}") else {
                        throw unexpected("after an object member, expected ',' or '}'")
                    }
                    pos += 1
                    let start = frames[top].start
                    value = keepsValues ? .object(JSONObject(Array(members[start...]))) : .null
                    members.removeSubrange(start...)
                } else {
                    values.append(value)
                    if pos < end && p[pos] == UInt8(ascii: ",") {
                        pos += 1
                        skipWhitespace()
                        continue scanValue
                    }
                    guard pos < end && p[pos] == UInt8(ascii: "]") else {
                        throw unexpected("after an array element, expected ',' or ']'")
                    }
                    pos += 1
                    let start = frames[top].start
                    value = keepsValues ? .array(Array(values[start...])) : .null
                    values.removeSubrange(start...)
                }
                frames.removeLast()
            }
            return value
        }
    }

    /// Parses `"name"` `:` and the whitespace after it.
    mutating func parseMemberName(first: Bool) throws(JSONParseError) -> String {
        guard pos < end && p[pos] == quote else {
            throw unexpected(first ? "where a member name or '}' was expected" : "where a member name was expected (no trailing commas)")
        }
        let name = try parseString()
        skipWhitespace()
        guard pos < end && p[pos] == UInt8(ascii: ":") else {
            throw unexpected("after a member name, expected ':'")
        }
        pos += 1
        skipWhitespace()
        return name
    }

    @inline(__always)
    func text(_ start: Int, _ stop: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: p + start, count: stop - start), as: UTF8.self)
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let bytes = literal.utf8Start
        for i in 0..<count {
            guard pos + i < end, p[pos + i] == bytes[i] else {
                let at = pos
                pos += i
                let error = unexpected("in literal '\(literal)' starting at byte \(at)")
                throw error
            }
        }
        pos += count
    }

    /// Parses a string whose opening quote is at `pos` (RFC 8259 section 7).
    mutating func parseString() throws(JSONParseError) -> String {
        pos += 1
        let start = pos
        // Fast path: no escapes, so the bytes are the string once validated.
        while pos < end {
            let b = p[pos]
            if b == quote {
                let s = text(start, pos)
                pos += 1
                return s
            }
            if b == backslash {
                return try parseEscapedString(start: start)
            }
            if b < 0x20 {
                throw controlCharacter(b)
            }
            if b < 0x80 {
                pos += 1
            } else {
                pos += try utf8SequenceLength(at: pos)
            }
        }
        throw .syntax(offset: start - 1, reason: "unterminated string")
    }

    func controlCharacter(_ b: UInt8) -> JSONParseError {
        .syntax(offset: pos, reason: "unescaped control character U+00\(hexByte(b)) in string (write it as \\u00\(hexByte(b)))")
    }

    /// The slow path of `parseString`, entered at the first backslash.
    mutating func parseEscapedString(start: Int) throws(JSONParseError) -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(start: p + start, count: pos - start))
        while pos < end {
            let b = p[pos]
            if b == quote {
                pos += 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if b == backslash {
                try parseEscape()
            } else if b < 0x20 {
                throw controlCharacter(b)
            } else if b < 0x80 {
                scratch.append(b)
                pos += 1
            } else {
                let n = try utf8SequenceLength(at: pos)
                scratch.append(contentsOf: UnsafeBufferPointer(start: p + pos, count: n))
                pos += n
            }
        }
        throw .syntax(offset: start - 1, reason: "unterminated string")
    }

    /// Decodes the escape at `pos` into `scratch` (RFC 8259 section 7).
    mutating func parseEscape() throws(JSONParseError) {
        let escapeStart = pos
        pos += 1
        guard pos < end else {
            throw .syntax(offset: escapeStart, reason: "unterminated escape sequence")
        }
        let c = p[pos]
        pos += 1
        switch c {
        case quote, backslash, UInt8(ascii: "/"): scratch.append(c)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                // RFC 8259 section 7: a character outside the BMP is an escaped
                // UTF-16 surrogate pair. Only a complete high-low pair is accepted.
                guard pos + 1 < end, p[pos] == backslash, p[pos + 1] == UInt8(ascii: "u") else {
                    throw .syntax(offset: escapeStart, reason: "lone UTF-16 surrogate escape \\u\(hex16(scalar)) (no low surrogate follows; a Swift String cannot hold it)")
                }
                pos += 2
                let low = try hex4()
                guard low >= 0xDC00 && low <= 0xDFFF else {
                    throw .syntax(offset: escapeStart, reason: "UTF-16 high surrogate escape \\u\(hex16(scalar)) followed by \\u\(hex16(low)), not a low surrogate")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                throw .syntax(offset: escapeStart, reason: "lone UTF-16 low surrogate escape \\u\(hex16(scalar)) (a Swift String cannot hold it)")
            }
            appendUTF8(scalar)
        default:
            pos -= 1
            throw .syntax(offset: escapeStart, reason: "invalid escape \\\(describeByte(p, pos, end)); allowed: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX")
        }
    }

    /// Reads the four hex digits of a `\u` escape.
    mutating func hex4() throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard pos < end else {
                throw .syntax(offset: pos, reason: "unexpected end of input in \\u escape")
            }
            let b = p[pos]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default:
                throw .syntax(offset: pos, reason: "expected a hex digit in \\u escape, found \(describeByte(p, pos, end))")
            }
            value = value << 4 | UInt32(digit)
            pos += 1
        }
        return value
    }

    func hex16(_ v: UInt32) -> String {
        hexByte(UInt8(truncatingIfNeeded: v >> 8)) + hexByte(UInt8(truncatingIfNeeded: v))
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(truncatingIfNeeded: scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(truncatingIfNeeded: 0xC0 | scalar >> 6))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(truncatingIfNeeded: 0xE0 | scalar >> 12))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(truncatingIfNeeded: 0xF0 | scalar >> 18))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
        }
    }

    /// The length of the well-formed UTF-8 sequence starting at `i` (whose first
    /// byte is at least 0x80), following RFC 3629 section 4: no overlong forms, no
    /// surrogates (U+D800 to U+DFFF), nothing above U+10FFFF, no truncation.
    /// - Throws: `.invalidUTF8(offset: i)`.
    func utf8SequenceLength(at i: Int) throws(JSONParseError) -> Int {
        @inline(__always) func continuation(_ k: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
            k < end && p[k] >= low && p[k] <= high
        }
        switch p[i] {
        case 0xC2...0xDF:
            if continuation(i + 1) { return 2 }
        case 0xE0:
            if continuation(i + 1, 0xA0, 0xBF) && continuation(i + 2) { return 3 }
        case 0xE1...0xEC, 0xEE...0xEF:
            if continuation(i + 1) && continuation(i + 2) { return 3 }
        case 0xED:
            if continuation(i + 1, 0x80, 0x9F) && continuation(i + 2) { return 3 }
        case 0xF0:
            if continuation(i + 1, 0x90, 0xBF) && continuation(i + 2) && continuation(i + 3) { return 4 }
        case 0xF1...0xF3:
            if continuation(i + 1) && continuation(i + 2) && continuation(i + 3) { return 4 }
        case 0xF4:
            if continuation(i + 1, 0x80, 0x8F) && continuation(i + 2) && continuation(i + 3) { return 4 }
        default:
            break
        }
        throw .invalidUTF8(offset: i)
    }
}
