/// The name of a pool: 1 to 4 DNS-1123 labels joined by `/`, such as `harvester-a` or `harvester-a/default`.
///
/// By convention the first label is the cluster and the second the namespace. A pool's ancestors are
/// the pools named by its proper prefixes: `c1` is the parent of `c1/ns1`.
public struct PoolPath: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The most labels a path may have.
    public static let maxDepth = 4

    /// The path as written, e.g. `c1/ns1`.
    public let rawValue: String

    /// Validates a pool path.
    /// - Parameter text: the path, e.g. `harvester-a/default`.
    /// - Throws: ``InvalidValue`` when a label is not a DNS-1123 label or there are more than 4 of them.
    public init(_ text: String) throws(InvalidValue) {
        let labels = text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard labels.count <= Self.maxDepth else {
            throw InvalidValue("pool \(String(reflecting: text)) has \(labels.count) labels; at most \(Self.maxDepth) are allowed")
        }
        for label in labels where !NameRules.isDNS1123Label(label) {
            throw InvalidValue(
                "pool \(String(reflecting: text)) must be 1 to \(Self.maxDepth) DNS-1123 labels ([a-z0-9-], 1 to 63 characters, starting and ending alphanumeric) joined by \"/\""
            )
        }
        self.rawValue = text
    }

    private init(trusted text: String) {
        self.rawValue = text
    }

    /// The pool one level up, or nil for a top-level pool.
    public var parent: PoolPath? {
        guard let slash = rawValue.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        return PoolPath(trusted: String(rawValue[..<slash]))
    }

    /// Every proper prefix, nearest first: `a/b/c` gives `a/b`, then `a`.
    public var ancestors: [PoolPath] {
        var result: [PoolPath] = []
        var current = parent
        while let path = current {
            result.append(path)
            current = path.parent
        }
        return result
    }

    /// True when `self` is `other` or lies below it: `c1/ns1` is within `c1` and within `c1/ns1`.
    public func isWithin(_ other: PoolPath) -> Bool {
        rawValue == other.rawValue || rawValue.hasPrefix(other.rawValue + "/")
    }

    public var description: String { rawValue }

    public static func < (lhs: PoolPath, rhs: PoolPath) -> Bool { lhs.rawValue < rhs.rawValue }
}
