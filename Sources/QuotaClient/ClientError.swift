import JSONRPC

/// Why a call through ``JSONRPCClient`` failed.
public enum ClientError: Error, Sendable, CustomStringConvertible {
    /// The server answered with a JSON-RPC error object.
    case server(JSONRPCError)
    /// The request did not reach the server, or its answer did not come back.
    case transport(TransportError)
    /// The server answered, but not with a JSON-RPC response: the URL and why.
    case invalidResponse(url: String, reason: String)

    public var description: String {
        switch self {
        case .server(let error): error.description
        case .transport(let error): error.description
        case .invalidResponse(let url, let reason): "\(url): not a JSON-RPC answer: \(reason)"
        }
    }
}
