/// Why `JSONReader` refused a JSON text.
///
/// Offsets are byte offsets from the start of the buffer handed to the reader.
public enum JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text breaks the RFC 8259 grammar at `offset` (section 2 structure,
    /// section 4-7 values), or it escapes a lone UTF-16 surrogate (section 8.2).
    case syntax(offset: Int, reason: String)
    /// The byte at `offset` starts an ill-formed UTF-8 sequence (RFC 8259 section 8.1,
    /// RFC 3629 section 4): a stray continuation byte, an overlong form, an encoded
    /// surrogate, a code point above U+10FFFF, or a sequence cut short.
    case invalidUTF8(offset: Int)
    /// Arrays and objects nest deeper than `limit` (RFC 8259 section 9 allows a limit).
    case tooDeep(limit: Int)

    /// The byte offset of the error, when it has one.
    public var offset: Int? {
        switch self {
        case .syntax(let offset, _), .invalidUTF8(let offset): offset
        case .tooDeep: nil
        }
    }

    /// A one-line English description, such as
    /// `syntax error at byte 12: expected ',' or ']' after an array element, found '}'`.
    public var description: String {
        switch self {
        case .syntax(let offset, let reason): "syntax error at byte \(offset): \(reason)"
        case .invalidUTF8(let offset): "invalid UTF-8 at byte \(offset)"
        case .tooDeep(let limit): "arrays and objects nested deeper than \(limit) levels"
        }
    }
}
