import QuotaCore

/// The pools a principal may touch: every pool (`*`), or a pool and everything below it.
public enum PoolScope: Sendable, Equatable, CustomStringConvertible {
    case all
    /// `c1` covers `c1`, `c1/ns1` and `c1/ns1/x`, but not `c10`.
    case prefix(PoolPath)

    /// Reads `*` or a pool path.
    /// - Throws: ``InvalidValue`` when the text is neither.
    public init(_ text: String) throws(InvalidValue) {
        if text == "*" {
            self = .all
        } else {
            self = .prefix(try PoolPath(text))
        }
    }

    /// True when `pool` lies within this scope.
    public func covers(_ pool: PoolPath) -> Bool {
        switch self {
        case .all: true
        case .prefix(let prefix): pool.isWithin(prefix)
        }
    }

    public var description: String {
        switch self {
        case .all: "*"
        case .prefix(let prefix): prefix.rawValue
        }
    }
}
