import Foundation

/// One quotad quota-load sends to: its host, port and JSON-RPC path (`--server`, repeatable).
public struct ServerAddress: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The server's host (an IP address or a name resolved by libevent).
    public var host: String
    /// The server's TCP port.
    public var port: Int
    /// The JSON-RPC path, `/rpc` unless the URL names another.
    public var path: String

    /// Reads a `--server` URL.
    /// - Parameter url: `http://HOST:PORT[/PATH]`; the port defaults to 80 and the path to `/rpc`.
    /// - Throws: ``LoadError/invalidFlag(flag:value:reason:)`` for `--server`.
    public init(parsing url: String) throws(LoadError) {
        guard let components = URLComponents(string: url), components.scheme == "http",
              let host = components.host, !host.isEmpty else {
            throw .invalidFlag(flag: "--server", value: url, reason: "expected http://HOST:PORT[/PATH]")
        }
        self.host = host
        port = components.port ?? 80
        guard (1...65535).contains(port) else {
            throw .invalidFlag(flag: "--server", value: url, reason: "port must be 1 to 65535")
        }
        path = components.path.isEmpty || components.path == "/" ? "/rpc" : components.path
    }

    /// The URL in one form, `http://HOST:PORT/PATH`, as reports name the server.
    public var description: String { "http://\(host):\(port)\(path)" }
}
