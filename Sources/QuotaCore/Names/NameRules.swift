/// Kubernetes' name syntax checks (k8s.io/apimachinery/pkg/util/validation), written over UTF-8 bytes.
enum NameRules {
    /// Is `byte` an ASCII lower-case letter or digit?
    static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    /// Is `byte` an ASCII letter or digit, in either case?
    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    /// A DNS-1123 label: 1 to 63 of `[a-z0-9-]`, starting and ending alphanumeric (IsDNS1123Label).
    static func isDNS1123Label<S: Collection>(_ bytes: S) -> Bool where S.Element == UInt8 {
        guard let first = bytes.first, bytes.count <= 63, isLowerAlphanumeric(first) else { return false }
        var last = first
        for byte in bytes {
            guard isLowerAlphanumeric(byte) || byte == UInt8(ascii: "-") else { return false }
            last = byte
        }
        return isLowerAlphanumeric(last)
    }

    /// A DNS-1123 subdomain: at most 253 bytes of dot-separated DNS-1123 labels (IsDNS1123Subdomain).
    static func isDNS1123Subdomain(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        return bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { isDNS1123Label($0) }
    }

    /// The name part of a qualified name: 1 to 63 of `[A-Za-z0-9_.-]`, starting and ending alphanumeric.
    static func isQualifiedNamePart(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
        guard isAlphanumeric(first), isAlphanumeric(last) else { return false }
        return bytes.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }

    /// A qualified name, `[prefix/]name`, as for label keys and resource names (IsQualifiedName).
    static func qualifiedNameProblem(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        let parts = bytes.split(separator: UInt8(ascii: "/"), maxSplits: 2, omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            return isQualifiedNamePart(parts[0]) ? nil
                : "must be 1 to 63 characters of [A-Za-z0-9_.-], starting and ending with a letter or digit"
        case 2:
            if !isDNS1123Subdomain(parts[0]) { return "prefix must be a DNS-1123 subdomain of at most 253 characters" }
            return isQualifiedNamePart(parts[1]) ? nil
                : "name after the prefix must be 1 to 63 characters of [A-Za-z0-9_.-], starting and ending with a letter or digit"
        default:
            return "must have at most one \"/\""
        }
    }
}
