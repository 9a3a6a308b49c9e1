/// Why quota-load could not run, or why a flag's value was refused.
public enum LoadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A flag's value is invalid; names the flag and the value.
    case invalidFlag(flag: String, value: String, reason: String)
    /// The server could not be reached or answered something that is not JSON-RPC.
    case transport(String)
    /// A set-up call (setPool, inspect) failed.
    case setup(String)

    public var description: String {
        switch self {
        case let .invalidFlag(flag, value, reason): "\(flag) \"\(value)\": \(reason)"
        case let .transport(message): "transport: \(message)"
        case let .setup(message): "set-up: \(message)"
        }
    }
}
