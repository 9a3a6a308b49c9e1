/// A Kubernetes label selector in its string form, as `kubectl get -l` takes it
/// (k8s.io/apimachinery/pkg/labels, `Parse`): requirements joined by commas, all of which must hold.
///
/// Supported requirements:
/// - `key` (the label exists) and `!key` (it does not);
/// - `key=value`, `key==value`, and `key!=value` (true also when the label is absent, as in Kubernetes);
/// - `key in (a,b)` and `key notin (a,b)` (`notin` is true also when the label is absent).
///
/// Keys are qualified names (`[prefix/]name`); values are up to 253 bytes without whitespace or
/// any of `,()=!`. The empty selector selects everything. At most ``maxRequirements``
/// requirements in ``maxBytes`` bytes.
public struct LabelSelector: Sendable, Equatable, CustomStringConvertible {
    /// One requirement on one label.
    public enum Requirement: Sendable, Equatable {
        case exists(String)
        case doesNotExist(String)
        case equals(String, String)
        case notEquals(String, String)
        case `in`(String, Set<String>)
        case notIn(String, Set<String>)
    }

    /// The longest selector accepted, in bytes, and the most requirements: each requirement is
    /// checked against every pool, so an unbounded selector would block the loop.
    public static let maxBytes = 4096
    public static let maxRequirements = 64

    /// The requirements, in the order given; all must hold.
    public let requirements: [Requirement]
    /// The text it was parsed from.
    public let description: String

    /// Parses a selector.
    /// - Parameter text: e.g. `project=p-4hwzn,tier in (gold,silver),!legacy`.
    /// - Throws: ``InvalidValue`` naming the position and the problem, e.g. an unknown operator
    ///   (`>` and `<` are not supported), an invalid key, or a missing `)`.
    public init(_ text: String) throws(InvalidValue) {
        guard text.utf8.count <= Self.maxBytes else {
            throw InvalidValue("label selector of \(text.utf8.count) bytes; at most \(Self.maxBytes) are allowed")
        }
        var parser = Parser(text: text)
        self.requirements = try parser.parse()
        self.description = text
    }

    /// True when every requirement holds for `labels`.
    /// - Parameter labels: an object's labels.
    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .exists(let key): labels[key] != nil
            case .doesNotExist(let key): labels[key] == nil
            case .equals(let key, let value): labels[key] == value
            case .notEquals(let key, let value): labels[key] != value
            case .in(let key, let values): labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): !(labels[key].map(values.contains) ?? false)
            }
        }
    }
}

extension LabelSelector {
    /// A small hand-written scanner over the selector's bytes.
    private struct Parser {
        let text: String
        let bytes: [UInt8]
        var position = 0

        init(text: String) {
            self.text = text
            self.bytes = Array(text.utf8)
        }

        /// Bytes that end a key or value.
        static func isDelimiter(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "="), UInt8(ascii: "!"),
                UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"),
                UInt8(ascii: "<"), UInt8(ascii: ">"):
                true
            default:
                false
            }
        }

        /// The error; it quotes at most the selector's first 64 characters, so a huge selector
        /// does not come back in full.
        func problem(_ reason: String) -> InvalidValue {
            let quoted = text.count > 64 ? String(reflecting: String(text.prefix(64))) + "…" : String(reflecting: text)
            return InvalidValue("label selector \(quoted) at character \(position + 1): \(reason)")
        }

        mutating func skipSpace() {
            while position < bytes.count, bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: "\t") {
                position += 1
            }
        }

        mutating func word() -> String {
            let start = position
            while position < bytes.count, !Self.isDelimiter(bytes[position]) { position += 1 }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        mutating func key() throws(InvalidValue) -> String {
            skipSpace()
            let key = word()
            guard !key.isEmpty else { throw problem("expected a label key") }
            if let reason = NameRules.qualifiedNameProblem(key) {
                throw problem("label key \(String(reflecting: key)) \(reason)")
            }
            return key
        }

        mutating func value() throws(InvalidValue) -> String {
            skipSpace()
            let value = word()
            guard value.utf8.count <= 253 else { throw problem("a value is at most 253 bytes") }
            return value
        }

        mutating func parse() throws(InvalidValue) -> [Requirement] {
            skipSpace()
            if position == bytes.count { return [] }
            var requirements: [Requirement] = []
            while true {
                guard requirements.count < LabelSelector.maxRequirements else {
                    throw problem("at most \(LabelSelector.maxRequirements) requirements are allowed")
                }
                requirements.append(try requirement())
                skipSpace()
                if position == bytes.count { return requirements }
                guard consume(UInt8(ascii: ",")) else { throw problem("expected \",\" between requirements") }
            }
        }

        mutating func requirement() throws(InvalidValue) -> Requirement {
            skipSpace()
            if consume(UInt8(ascii: "!")) {
                let key = try key()
                skipSpace()
                guard position == bytes.count || bytes[position] == UInt8(ascii: ",") else {
                    throw problem("\"!\(key)\" takes no operator")
                }
                return .doesNotExist(key)
            }
            let key = try key()
            skipSpace()
            if position == bytes.count || bytes[position] == UInt8(ascii: ",") { return .exists(key) }
            if consume(UInt8(ascii: "!")) {
                guard consume(UInt8(ascii: "=")) else { throw problem("expected \"!=\"") }
                return .notEquals(key, try value())
            }
            if consume(UInt8(ascii: "=")) {
                _ = consume(UInt8(ascii: "="))
                return .equals(key, try value())
            }
            if bytes[position] == UInt8(ascii: "<") || bytes[position] == UInt8(ascii: ">") {
                throw problem("the operators \"<\" and \">\" are not supported")
            }
            let operatorStart = position
            let word = word()
            switch word {
            case "in": return .in(key, try valueSet())
            case "notin": return .notIn(key, try valueSet())
            default:
                position = operatorStart
                throw problem("expected one of =, ==, !=, in, notin after \(String(reflecting: key)) (got \(String(reflecting: word)))")
            }
        }

        mutating func valueSet() throws(InvalidValue) -> Set<String> {
            skipSpace()
            guard consume(UInt8(ascii: "(")) else { throw problem("expected \"(\" to open a set of values") }
            var values = Set<String>()
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: ")") {
                throw problem("a set of values must not be empty")
            }
            while true {
                values.insert(try value())
                skipSpace()
                if consume(UInt8(ascii: ")")) { return values }
                guard consume(UInt8(ascii: ",")) else { throw problem("expected \",\" or \")\" in a set of values") }
            }
        }
    }
}
