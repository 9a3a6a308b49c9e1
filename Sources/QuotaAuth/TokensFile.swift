import Foundation
import QuotaCore
import Yams

/// The principals quotad knows, read from `--tokens FILE` (issue #6): YAML, or JSON (which is YAML).
///
/// ```yaml
/// principals:
///   - name: harvester-a-controller
///     role: controller            # admin | controller | reader
///     pools: ["harvester-a"]      # pool prefixes; "*" means every pool
///     tokenSHA256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
/// ```
///
/// A principal without `tokenSHA256` can only authenticate with a client certificate whose
/// subject CN or DNS SAN is its name (mutual TLS). Tokens are never written in clear: a `token`
/// field is refused.
public struct TokensFile: Sendable {
    /// One principal and the digest of its token, if it has one.
    public struct Entry: Sendable, Equatable {
        public var principal: Principal
        public var tokenSHA256: TokenDigest?
    }

    public let entries: [Entry]

    /// Parses a tokens file.
    /// - Parameter text: the file's text.
    /// - Returns: the principals, in file order.
    /// - Throws: ``TokensFileError`` naming the first bad entry and field: YAML syntax, a missing,
    ///   unknown or repeated field, an unknown role, a bad pool prefix, a digest that is not 64 hex
    ///   digits, a repeated name or digest.
    public static func parse(_ text: String) throws(TokensFileError) -> TokensFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw TokensFileError("not valid YAML or JSON: \(Self.describe(error))")
        }
        guard let mapping = root?.mapping else {
            throw TokensFileError("must be an object with a \"principals\" list")
        }
        var principalsNode: Node?
        for (key, value) in mapping {
            guard key.string == "principals" else {
                throw TokensFileError("\(key.string ?? "?"): unknown field; the file has only \"principals\"")
            }
            principalsNode = value
        }
        guard let list = principalsNode?.sequence, !list.isEmpty else {
            throw TokensFileError("principals: required, a non-empty list of {name, role, pools, tokenSHA256} (an empty list would lock everyone out)")
        }
        var entries: [Entry] = []
        var names = Set<String>()
        for (index, node) in list.enumerated() {
            let entry = try Self.entry(node, at: "principals[\(index)]")
            guard names.insert(entry.principal.name).inserted else {
                throw TokensFileError("principals[\(index)].name: \(String(reflecting: entry.principal.name)) is used twice")
            }
            if let digest = entry.tokenSHA256, entries.contains(where: { $0.tokenSHA256 == digest }) {
                throw TokensFileError("principals[\(index)].tokenSHA256: the same token is given to two principals")
            }
            entries.append(entry)
        }
        return TokensFile(entries: entries)
    }

    /// A YAML error by its problem and position only: Yams' own description quotes the offending
    /// line, which may hold a token.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? YamlError else { return "unreadable" }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return "\(problem) at line \(mark.line), column \(mark.column)"
        case .reader(let problem, _, _, _):
            return problem
        case .duplicatedKeysInMapping(let duplicates, _):
            return "a key is given twice in one mapping (\(duplicates.count) time(s))"
        case .dataCouldNotBeDecoded:
            return "not UTF-8"
        default:
            return "unreadable"
        }
    }

    /// Reads and parses a tokens file.
    /// - Parameter path: the file.
    /// - Throws: ``TokensFileError`` naming the path when it cannot be read, or the problem.
    public static func load(path: String) throws(TokensFileError) -> TokensFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TokensFileError("cannot read tokens file \(path): no such file")
        }
        guard !isDirectory.boolValue else { throw TokensFileError("cannot read tokens file \(path): it is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokensFileError("cannot read tokens file \(path): permission denied or not a regular file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokensFileError("tokens file \(path): not UTF-8")
        }
        do {
            return try parse(text)
        } catch {
            throw TokensFileError("tokens file \(path): \(error.reason)")
        }
    }

    /// True when the file's mode lets its group or others read it (an advisory check).
    /// - Parameter path: the file.
    public static func isReadableByOthers(path: String) -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let mode = attributes[.posixPermissions] as? NSNumber else { return false }
        return mode.intValue & 0o044 != 0
    }

    private static func entry(_ node: Node, at path: String) throws(TokensFileError) -> Entry {
        guard let mapping = node.mapping else { throw TokensFileError("\(path): must be an object") }
        var fields: [String: Node] = [:]
        for (key, value) in mapping {
            let name = key.string ?? "?"
            switch name {
            case "name", "role", "pools", "tokenSHA256":
                guard fields.updateValue(value, forKey: name) == nil else { throw TokensFileError("\(path).\(name): given twice") }
            case "token":
                throw TokensFileError("\(path).token: tokens are never stored in clear; write tokenSHA256, the SHA-256 of the token in hex (printf %s \"$TOKEN\" | sha256sum)")
            default:
                throw TokensFileError("\(path).\(name): unknown field; a principal has name, role, pools and tokenSHA256")
            }
        }
        guard let name = fields["name"]?.scalar?.string, !name.isEmpty, name.utf8.count <= Ledger.maxTextBytes else {
            throw TokensFileError("\(path).name: required, 1 to \(Ledger.maxTextBytes) bytes")
        }
        // A client certificate's names never hold control characters, and a log line must not either.
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw TokensFileError("\(path).name: must not contain control characters")
        }
        guard let roleText = fields["role"]?.scalar?.string else {
            throw TokensFileError("\(path).role: required: admin, controller or reader")
        }
        guard let role = Role(rawValue: roleText) else {
            throw TokensFileError("\(path).role: must be admin, controller or reader (got \(String(reflecting: String(roleText.prefix(16)))))")
        }
        guard let poolNodes = fields["pools"]?.sequence, !poolNodes.isEmpty else {
            throw TokensFileError("\(path).pools: required, a non-empty list of pool prefixes, or [\"*\"] for every pool")
        }
        var scopes: [PoolScope] = []
        for (index, poolNode) in poolNodes.enumerated() {
            guard let text = poolNode.scalar?.string else { throw TokensFileError("\(path).pools[\(index)]: must be a string") }
            do {
                scopes.append(try PoolScope(text))
            } catch {
                throw TokensFileError("\(path).pools[\(index)]: must be \"*\" or a pool path: \(error.reason)")
            }
        }
        var digest: TokenDigest?
        if let node = fields["tokenSHA256"] {
            guard let hex = node.scalar?.string else { throw TokensFileError("\(path).tokenSHA256: must be a string") }
            do {
                digest = try TokenDigest(hex: hex)
            } catch {
                throw TokensFileError("\(path).tokenSHA256: \(error.reason)")
            }
        }
        return Entry(principal: Principal(name: name, role: role, scopes: scopes), tokenSHA256: digest)
    }
}
