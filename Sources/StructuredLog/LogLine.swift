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

    /// Each leading key's place in the line.
    static let leadingRank: [String: Int] = Dictionary(uniqueKeysWithValues: leadingKeys.enumerated().map { ($1, $0) })

    /// One rendered line, written straight into its bytes (issue #8: the line of every change is on
    /// the request path, so it builds no intermediate values).
    /// - Parameters:
    ///   - format: JSON or text.
    ///   - nanosecondsSinceEpoch: the wall-clock time of the event.
    ///   - level: the event's level.
    ///   - message: the human-readable message.
    ///   - metadata: the event's fields; keys `time`, `level` and `msg` are ignored.
    /// - Returns: the line's UTF-8 bytes, with the trailing newline.
    public static func render(
        format: LogFormat, nanosecondsSinceEpoch: Int64, level: Logger.Level, message: String,
        metadata: Logger.Metadata
    ) -> [UInt8] {
        // Each field's place: a leading key's rank, then the others by name (usually there are
        // none). Sorting positions in the dictionary moves no keys or values.
        var order: [(rank: Int, index: Logger.Metadata.Index)] = []
        order.reserveCapacity(metadata.count)
        var others: [Logger.Metadata.Index] = []
        var index = metadata.startIndex
        while index != metadata.endIndex {
            let key = metadata[index].key
            if let rank = leadingRank[key] {
                var at = order.count
                while at > 0 && order[at - 1].rank > rank { at -= 1 }
                order.insert((rank, index), at: at)
            } else if key != "time" && key != "level" && key != "msg" {
                others.append(index)
            }
            metadata.formIndex(after: &index)
        }
        if others.count > 1 { others.sort { metadata[$0].key < metadata[$1].key } }
        var line: [UInt8] = []
        line.reserveCapacity(256)
        switch format {
        case .json:
            line.append(contentsOf: #"{"time":""#.utf8)
            appendTimestamp(nanosecondsSinceEpoch, to: &line)
            line.append(contentsOf: #"","level":"#.utf8)
            JSONWriter.serializeString(level.rawValue, into: &line)
            func field(_ key: String, _ value: Logger.MetadataValue) {
                line.append(UInt8(ascii: ","))
                JSONWriter.serializeString(key, into: &line)
                line.append(UInt8(ascii: ":"))
                if case .string(let text) = value {
                    JSONWriter.serializeString(text, into: &line)
                } else {
                    JSONWriter.serialize(json(value), into: &line)
                }
            }
            for item in order { field(metadata[item.index].key, metadata[item.index].value) }
            for index in others { field(metadata[index].key, metadata[index].value) }
            line.append(contentsOf: #","msg":"#.utf8)
            JSONWriter.serializeString(message, into: &line)
            line.append(contentsOf: "}\n".utf8)
        case .text:
            line.append(contentsOf: "time=".utf8)
            appendTimestamp(nanosecondsSinceEpoch, to: &line)
            line.append(contentsOf: " level=".utf8)
            appendText(level.rawValue, to: &line)
            func field(_ key: String, _ value: Logger.MetadataValue) {
                line.append(UInt8(ascii: " "))
                line.append(contentsOf: key.utf8)
                line.append(UInt8(ascii: "="))
                if case .string(let text) = value {
                    appendText(text, to: &line)
                } else {
                    appendText(json(value), to: &line)
                }
            }
            for item in order { field(metadata[item.index].key, metadata[item.index].value) }
            for index in others { field(metadata[index].key, metadata[index].value) }
            line.append(contentsOf: " msg=".utf8)
            appendText(message, to: &line)
            line.append(UInt8(ascii: "\n"))
        }
        return line
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
        switch value {
        case .string(let string): appendText(string, to: &line)
        case .number(let number): appendText(number.text, to: &line)
        case .bool(let flag): line.append(contentsOf: (flag ? "true" : "false").utf8)
        case .null: line.append(contentsOf: "null".utf8)
        case .array, .object, .encodable: appendText(JSONWriter.string(value), to: &line)
        }
    }

    /// `text` as a logfmt value: bare when it is safe, else quoted and escaped.
    static func appendText(_ text: String, to line: inout [UInt8]) {
        // Printable ASCII without `=`, `"` and `\\` is written as it is; anything else (empty,
        // spaces, controls, non-ASCII that may hold C1 controls or U+2028/U+2029) takes the
        // scalar-by-scalar check below.
        let plain: Bool? = text.utf8.withContiguousStorageIfAvailable { bytes in
            guard !bytes.isEmpty else { return false }
            for byte in bytes
            where byte <= 0x20 || byte >= 0x7F || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                return false
            }
            line.append(contentsOf: bytes)
            return true
        }
        if plain == true { return }
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
    /// - Returns: the 24-character text.
    public static func timestamp(_ nanosecondsSinceEpoch: Int64) -> String {
        var bytes: [UInt8] = []
        appendTimestamp(nanosecondsSinceEpoch, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends ``timestamp(_:)``'s text to `line`.
    static func appendTimestamp(_ nanosecondsSinceEpoch: Int64, to line: inout [UInt8]) {
        // Floor division, so that times before the epoch count down from the second before.
        var (whole, nanos) = nanosecondsSinceEpoch.quotientAndRemainder(dividingBy: 1_000_000_000)
        if nanos < 0 {
            whole -= 1
            nanos += 1_000_000_000
        }
        var seconds = time_t(whole)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            if rest >= divisor * 10 {  // a year past 9999: all its digits
                line.append(contentsOf: String(rest).utf8)
                return
            }
            while divisor > 0 {
                line.append(UInt8(ascii: "0") &+ UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        line.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        line.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        line.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        line.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        line.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        line.append(UInt8(ascii: "."))
        digits(Int(nanos / 1_000_000), 3)
        line.append(UInt8(ascii: "Z"))
    }
}
