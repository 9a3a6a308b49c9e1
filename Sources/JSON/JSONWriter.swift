/// Writes JSON values as compact RFC 8259 text: no whitespace, members in their
/// stored order, numbers as their exact text.
///
/// Strings are escaped as RFC 8259 section 7 requires and no more: `"` as `\"`,
/// `\` as `\\`, and the control characters U+0000 to U+001F as `\u00XX` (lowercase
/// hex). Everything else, including `/`, U+007F and non-ASCII characters, is
/// written as its UTF-8 bytes. The output is always valid UTF-8 that `JSONReader`
/// reads back to an equal value.
///
/// The writer recurses once per level of nesting, which is bounded for values the
/// reader produced (`maxDepth`) and for the shallow values handlers build.
public struct JSONWriter {
    /// Serializes a value to a new buffer.
    /// - Parameter value: The value to write.
    /// - Returns: Its compact UTF-8 JSON text.
    public static func serialize(_ value: JSONValue) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(256)
        serialize(value, into: &buffer)
        return buffer
    }

    /// Appends a value's compact JSON text to `buffer`.
    /// - Parameters:
    ///   - value: The value to write.
    ///   - buffer: The buffer to append to.
    public static func serialize(_ value: JSONValue, into buffer: inout [UInt8]) {
        switch value {
        case .null:
            append("null", to: &buffer)
        case .bool(let b):
            append(b ? "true" : "false", to: &buffer)
        case .number(let n):
            buffer.append(contentsOf: n.text.utf8)
        case .string(let s):
            serializeString(s, into: &buffer)
        case .array(let elements):
            buffer.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { buffer.append(UInt8(ascii: ",")) }
                first = false
                serialize(element, into: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        case .object(let object):
            buffer.append(UInt8(ascii: "{"))
            var first = true
            for member in object.members {
                if !first { buffer.append(UInt8(ascii: ",")) }
                first = false
                serializeString(member.key, into: &buffer)
                buffer.append(UInt8(ascii: ":"))
                serialize(member.value, into: &buffer)
            }
            buffer.append(UInt8(ascii: "}"))
        case .encodable(let value):
            value.encode(into: &buffer)
        }
    }

    /// Serializes a value to a `String`.
    /// - Parameter value: The value to write.
    /// - Returns: Its compact JSON text.
    public static func string(_ value: JSONValue) -> String {
        String(decoding: serialize(value), as: UTF8.self)
    }

    /// Appends `string` as a quoted, escaped JSON string.
    /// - Parameters:
    ///   - string: The string to write.
    ///   - buffer: The buffer to append to.
    public static func serializeString(_ string: String, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { bytes in
            var runStart = 0
            for i in 0..<bytes.count {
                let b = bytes[i]
                if b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                    buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                    appendEscape(b, to: &buffer)
                    runStart = i + 1
                }
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        if done == nil {
            for b in string.utf8 {
                if b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                    appendEscape(b, to: &buffer)
                } else {
                    buffer.append(b)
                }
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    private static func appendEscape(_ b: UInt8, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\\"))
        if b >= 0x20 {
            buffer.append(b)  // " or \
        } else {
            let hex: StaticString = "0123456789abcdef"
            buffer.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            buffer.append(hex.utf8Start[Int(b >> 4)])
            buffer.append(hex.utf8Start[Int(b & 0xF)])
        }
    }

    @inline(__always)
    private static func append(_ literal: StaticString, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Appends text that is already JSON, as it is: punctuation and member names an encoder
    /// writes itself (``JSONEncodable``), such as `,"revision":`.
    /// - Parameters:
    ///   - literal: The JSON text, which must need no escaping.
    ///   - buffer: The buffer to append to.
    @inline(__always)
    public static func append(raw literal: StaticString, to buffer: inout [UInt8]) {
        append(literal, to: &buffer)
    }
}
