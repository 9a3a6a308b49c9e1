/// A JSON number, kept as the exact text it was written with.
///
/// RFC 8259 section 6 defines a number by its grammar only and leaves range and
/// precision to implementations. `JSONNumber` keeps the source text, so a value is
/// never rounded on its way through: an id of `9007199254740993`, `1.0` or `1e5`
/// is written back digit for digit. Numbers outside every machine range, such as
/// `1e400` or a 100-digit integer, are valid JSON and are kept as text; only the
/// conversions (`int64Value`, `doubleValue`) refuse them.
///
/// Equality and hashing compare the text: `1.0`, `1` and `1e0` are different
/// `JSONNumber`s even though they denote the same number. Compare `int64Value`
/// when the numeric value matters.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// The number exactly as written; always matches the RFC 8259 section 6 grammar
    /// `[ minus ] int [ frac ] [ exp ]`.
    public let text: String

    /// Wraps text the reader has already checked against the number grammar.
    init(uncheckedText text: String) {
        self.text = text
    }

    /// Creates the number written as the decimal digits of `value`.
    /// - Parameter value: Any 64-bit integer.
    public init(_ value: Int64) {
        self.text = String(value)
    }

    /// Creates the number written as the decimal digits of `value`.
    /// - Parameter value: Any integer.
    public init(_ value: Int) {
        self.text = String(value)
    }

    /// Creates the number for a finite `Double`, written as Swift's shortest
    /// round-tripping description (`0.1`, `5.0`, `1e-07`).
    /// - Parameter value: The value to write.
    /// - Returns: `nil` for NaN and the infinities, which JSON cannot express (RFC 8259 section 6).
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        self.init(text: value.description)
    }

    /// Creates a number from its JSON text, validating the RFC 8259 section 6 grammar.
    ///
    /// The whole string must be one number: no whitespace, no leading `+`, no
    /// leading zeros (`01`), a digit on both sides of `.`, at least one exponent
    /// digit, no `NaN` or `Infinity`. The magnitude is not limited.
    /// - Parameter text: The candidate number text.
    /// - Returns: `nil` when `text` is not exactly one JSON number.
    public init?(text: String) {
        var copy = text
        let valid = copy.withUTF8 { buffer -> Bool in
            guard let base = buffer.baseAddress, buffer.count > 0 else { return false }
            do throws(JSONParseError) {
                return try JSONNumber.scan(base, from: 0, end: buffer.count) == buffer.count
            } catch {
                return false
            }
        }
        guard valid else { return nil }
        self.text = text
    }

    /// Creates a number from an integer literal.
    public init(integerLiteral value: Int64) {
        self.init(value)
    }

    /// The text of the number.
    public var description: String { text }

    /// The exact value as an `Int64`, when the number is a whole number in range.
    ///
    /// Decision: the test is mathematical, not lexical. Any spelling of a whole
    /// number is accepted, because RFC 8259 section 6 has a single number type and
    /// does not distinguish `5` from `5.0` or `5e0`; all of `5`, `5.0`, `5e0`,
    /// `50e-1`, `0.5e1` and `-0` convert. The conversion is exact (done on the
    /// decimal digits, never through `Double`), so `9223372036854775807` and
    /// `-9223372036854775808` convert and `9223372036854775808` does not.
    ///
    /// Returns `nil` for a fraction (`1.5`, `1e-1`) and for anything outside the
    /// `Int64` range (`1e400`, `1e19`, 100-digit integers). Never crashes, however
    /// long the text or large the exponent.
    public var int64Value: Int64? {
        var copy = text
        return copy.withUTF8 { JSONNumber.exactInt64($0) }
    }

    /// The value as a `Double`, rounded to the nearest representable value.
    ///
    /// Returns `nil` when the number is too large for a `Double` (`1e400`); a value
    /// too small to represent (`1e-400`) rounds to zero, as IEEE 754 does.
    public var doubleValue: Double? {
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// Whether the text is written as a plain integer: digits with an optional
    /// minus sign, no fraction and no exponent.
    public var isIntegerLiteral: Bool {
        !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }
}

extension JSONNumber {
    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    /// Scans one number that starts at `start`, following RFC 8259 section 6:
    /// `number = [ minus ] int [ frac ] [ exp ]`, `int = zero / ( digit1-9 *DIGIT )`,
    /// `frac = decimal-point 1*DIGIT`, `exp = e [ minus / plus ] 1*DIGIT`.
    /// - Returns: The offset just past the number.
    /// - Throws: `JSONParseError.syntax` at the first byte that breaks the grammar.
    static func scan(_ p: UnsafePointer<UInt8>, from start: Int, end: Int) throws(JSONParseError) -> Int {
        var i = start
        if i < end && p[i] == UInt8(ascii: "-") { i += 1 }
        guard i < end, isDigit(p[i]) else {
            throw .syntax(offset: i, reason: "expected a digit in number, found \(describeByte(p, i, end))")
        }
        if p[i] == UInt8(ascii: "0") {
            i += 1
            if i < end && isDigit(p[i]) {
                throw .syntax(offset: start, reason: "leading zeros are not allowed in numbers")
            }
        } else {
            while i < end && isDigit(p[i]) { i += 1 }
        }
        if i < end && p[i] == UInt8(ascii: ".") {
            i += 1
            guard i < end, isDigit(p[i]) else {
                throw .syntax(offset: i, reason: "expected a digit after the decimal point, found \(describeByte(p, i, end))")
            }
            while i < end && isDigit(p[i]) { i += 1 }
        }
        if i < end && (p[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            if i < end && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < end, isDigit(p[i]) else {
                throw .syntax(offset: i, reason: "expected a digit in the exponent, found \(describeByte(p, i, end))")
            }
            while i < end && isDigit(p[i]) { i += 1 }
        }
        return i
    }

    /// Exact decimal-to-Int64 conversion of valid number text (see `int64Value`).
    static func exactInt64(_ buffer: UnsafeBufferPointer<UInt8>) -> Int64? {
        let n = buffer.count
        var i = 0
        var negative = false
        if i < n && buffer[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        let intStart = i
        while i < n && isDigit(buffer[i]) { i += 1 }
        let intEnd = i
        var fracStart = i, fracEnd = i
        if i < n && buffer[i] == UInt8(ascii: ".") {
            i += 1
            fracStart = i
            while i < n && isDigit(buffer[i]) { i += 1 }
            fracEnd = i
        }
        var exponent = 0
        if i < n && (buffer[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            var expNegative = false
            if i < n && (buffer[i] == UInt8(ascii: "+") || buffer[i] == UInt8(ascii: "-")) {
                expNegative = buffer[i] == UInt8(ascii: "-")
                i += 1
            }
            // Saturate: no text held in memory has 2^40 digits, so a clamped exponent
            // decides integrality and range exactly as the true one would.
            while i < n && isDigit(buffer[i]) {
                if exponent < 1 << 40 { exponent = exponent * 10 + Int(buffer[i] &- 0x30) }
                i += 1
            }
            if expNegative { exponent = -exponent }
        }
        guard intEnd > intStart, i == n else { return nil }

        // The significant digits are the integer digits followed by the fraction
        // digits; digit k (0-based) has decimal place (intCount - 1 - k + exponent).
        let intCount = intEnd - intStart
        let fracCount = fracEnd - fracStart
        let total = intCount + fracCount
        @inline(__always) func digit(_ k: Int) -> UInt8 {
            k < intCount ? buffer[intStart + k] &- 0x30 : buffer[fracStart + k - intCount] &- 0x30
        }
        var first = 0
        while first < total && digit(first) == 0 { first += 1 }
        if first == total { return 0 }  // every digit is zero: 0, -0, 0.000, 0e999
        var last = total - 1
        while digit(last) == 0 { last -= 1 }
        let lowestPlace = intCount - 1 - last + exponent
        let highestPlace = intCount - 1 - first + exponent
        guard lowestPlace >= 0 else { return nil }  // a nonzero digit right of the point
        guard highestPlace <= 18 else { return nil }  // at least 10^19 > Int64.max

        var magnitude: UInt64 = 0
        for k in first...last {
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(digit(k)))
            if o1 || o2 { return nil }
            magnitude = s
        }
        for _ in 0..<lowestPlace {
            let (m, o) = magnitude.multipliedReportingOverflow(by: 10)
            if o { return nil }
            magnitude = m
        }
        if negative {
            if magnitude == UInt64(Int64.max) + 1 { return Int64.min }
            guard magnitude <= UInt64(Int64.max) else { return nil }
            return -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }
}

/// Describes the byte at `offset` for error messages: `'x'` for printable ASCII,
/// `byte 0xNN` otherwise, `end of input` past the end.
func describeByte(_ p: UnsafePointer<UInt8>, _ offset: Int, _ end: Int) -> String {
    guard offset < end else { return "end of input" }
    let byte = p[offset]
    if byte >= 0x21 && byte < 0x7F {
        return "'" + String(UnicodeScalar(byte)) + "'"
    }
    return "byte 0x" + hexByte(byte)
}

func hexByte(_ byte: UInt8) -> String {
    let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
}
