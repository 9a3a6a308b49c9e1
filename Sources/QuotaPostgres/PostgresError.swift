/// A PostgreSQL failure.
public enum PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection, or it broke: the server is down, restarting or unreachable.
    case connection(String)
    /// The server refused a statement; `sqlState` is its SQLSTATE code, e.g. `40P01` (deadlock).
    case server(sqlState: String?, message: String)
    /// The database holds something this quotad does not understand.
    case unexpected(String)

    public var description: String {
        switch self {
        case .connection(let detail): "PostgreSQL connection: \(detail)"
        case .server(let sqlState, let message): "PostgreSQL: \(message)\(sqlState.map { " (SQLSTATE \($0))" } ?? "")"
        case .unexpected(let detail): "PostgreSQL: \(detail)"
        }
    }
}
