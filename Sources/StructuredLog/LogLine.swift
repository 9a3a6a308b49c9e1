#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import JSON
import Logging

/// Renders one log event as one line of JSON or logfmt text, ending in `\n`.
///
/// Fields in order: `time` (RFC 3339, UTC, milliseconds), `level`, then the metadata keys named in
/// ``leadingKeys`` that are present, then the other metadata keys sorted, then `msg`. Values from
/// clients (holder, labels) are hostile input: JSON escapes them through ``JSON/JSONWriter``, text
/// quotes and escapes every value that holds a space, `=`, `"`, `\` or a control character, so a
/// value can never start a new line or forge a field.
public enum LogLine {
    /// Metadata keys written first, in this order, when present.
    public static let leadingKeys = [
        "event", "principal", "method", "code", "pool", "resource", "lease", "holder", "vmName", "revision", "duration",
    ]

    /// One rendered line.
    /// - Parameters:
    ///   - format: JSON or text.
    ///   - nanosecondsSinceEpoch: the wall-clock time of the event.
    ///   - level: the event's level.
    ///   - message: the human-readable message.
    ///   - metadata: the event's fields.
    /// - Returns: the line's UTF-8 bytes, with the trailing newline.
    public static func render(
        format: LogFormat, nanosecondsSinceEpoch: Int64, level: Logger.Level, message: String,
        metadata: Logger.Metadata
    ) -> [UInt8] {
        var fields: [(key: String, value: JSONValue)] = [
            ("time", .string(timestamp(nanosecondsSinceEpoch))), ("level", .string(level.rawValue)),
        ]
        for key in leadingKeys { if let value = metadata[key] { fields.append((key, json(value))) } }
        for key in metadata.keys.sorted() where !leadingKeys.contains(key) && key != "time" && key != "level" && key != "msg" {
            fields.append((key, json(metadata[key]!)))
        }
        fields.append(("msg", .string(message)))
        switch format {
        case .json:
            var line = JSONWriter.serialize(.object(JSONObject(fields)))
            line.append(UInt8(ascii: "\n"))
            return line
        case .text:
            var line: [UInt8] = []
            for (index, field) in fields.enumerated() {
                if index > 0 { line.append(UInt8(ascii: " ")) }
                line.append(contentsOf: field.key.utf8)
                line.append(UInt8(ascii: "="))
                appendText(field.value, to: &line)
            }
            line.append(UInt8(ascii: "\n"))
            return line
        }
    }

    /// A metadata value as JSON: integers, doubles and booleans given as `.stringConvertible` stay
    /// numbers and booleans; everything else is a string, an array or an object (keys sorted).
    public static func json(_ value: Logger.MetadataValue) -> JSONValue {
        switch value {
        case .string(let text):
            return .string(text)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as Int: return .number(JSONNumber(number))
            case let number as Int64: return .number(JSONNumber(number))
            case let number as Double: return JSONNumber(number).map(JSONValue.number) ?? .string(number.description)
            case let flag as Bool: return .bool(flag)
            default: return .string(convertible.description)
            }
        case .array(let elements):
            return .array(elements.map(json))
        case .dictionary(let members):
            return .object(JSONObject(members.keys.sorted().map { (key: $0, value: json(members[$0]!)) }))
        }
    }

    /// A logfmt value: bare when it is safe, else quoted with `\"`, `\\`, `\n`, `\r`, `\t` and
    /// `\u00XX` escapes. Arrays and objects are written as quoted JSON text.
    static func appendText(_ value: JSONValue, to line: inout [UInt8]) {
        let text: String
        switch value {
        case .string(let string): text = string
        case .number(let number): text = number.text
        case .bool(let flag): text = flag ? "true" : "false"
        case .null: text = "null"
        case .array, .object: text = JSONWriter.string(value)
        }
        // Control characters are C0, DEL, C1 (U+0080–U+009F) and the line and paragraph separators
        // U+2028/U+2029, which some viewers break lines at.
        func isControl(_ scalar: Unicode.Scalar) -> Bool {
            scalar.value <= 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
        }
        let needsQuotes = text.isEmpty || text.unicodeScalars.contains { isControl($0) || $0 == "=" || $0 == "\"" || $0 == "\\" }
        guard needsQuotes else {
            line.append(contentsOf: text.utf8)
            return
        }
        line.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line.append(contentsOf: #"\""#.utf8)
            case "\\": line.append(contentsOf: #"\\"#.utf8)
            case "\n": line.append(contentsOf: #"\n"#.utf8)
            case "\r": line.append(contentsOf: #"\r"#.utf8)
            case "\t": line.append(contentsOf: #"\t"#.utf8)
            case " ": line.append(UInt8(ascii: " "))
            default:
                if isControl(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    line.append(contentsOf: ("\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex).utf8)
                } else {
                    line.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        line.append(UInt8(ascii: "\""))
    }

    /// RFC 3339 in UTC with milliseconds: `2026-11-29T14:13:59.123Z`.
    /// - Parameter nanosecondsSinceEpoch: nanoseconds since 1970-01-01T00:00:00Z.
    public static func timestamp(_ nanosecondsSinceEpoch: Int64) -> String {
        // Floor division, so that times before the epoch count down from the second before.
        var (whole, nanos) = nanosecondsSinceEpoch.quotientAndRemainder(dividingBy: 1_000_000_000)
        if nanos < 0 {
            whole -= 1
            nanos += 1_000_000_000
        }
        var seconds = time_t(whole)
        let millis = Int(nanos / 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }
}
