internal import CLibevent
import JSON

/// JSON-RPC calls that wait for their answer, on their own connection, for pool set-up and the
/// end-of-run check (before and after the load, never during it).
final class BlockingRPC {
    private let base: OpaquePointer
    private let exchange: HTTPExchange
    /// The server this connection goes to.
    let server: ServerAddress

    /// Makes (lazily: at the first call) a connection to one server.
    /// - Parameters:
    ///   - base: the loop's `event_base`.
    ///   - server: where to send.
    ///   - configuration: the token and the timeout (seconds) of every call.
    /// - Throws: ``LoadError/transport(_:)`` when libevent cannot make the connection.
    init(base: OpaquePointer, server: ServerAddress, configuration: LoadConfiguration) throws(LoadError) {
        self.base = base
        self.server = server
        exchange = try HTTPExchange(base: base, host: server.host, port: server.port, path: server.path,
                                    token: configuration.token, timeoutSeconds: configuration.timeoutSeconds)
    }

    /// Sends one request body and waits for the answer (bounded by the connection's timeout).
    /// - Returns: the parsed JSON answer.
    /// - Throws: ``LoadError/transport(_:)`` with no answer, a status other than 200, or no JSON.
    func send(_ body: String) throws(LoadError) -> JSONValue {
        var answer: (status: Int, body: [UInt8]?)?
        exchange.post(Array(body.utf8)) { status, body in answer = (status, body) }
        var passes = 0
        while answer == nil, passes < 1_000_000 {
            _ = event_base_loop(base, EVLOOP_ONCE)
            passes += 1
        }
        guard let answer, let bytes = answer.body else { throw .transport("no answer from the server") }
        guard answer.status == 200 else {
            throw .transport("HTTP \(answer.status): \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        do {
            return try JSONReader.parse(bytes, maxDepth: 512)
        } catch {
            throw .transport("answer is not JSON: \(error)")
        }
    }

    /// Calls one method and returns its result.
    /// - Parameters:
    ///   - method: the JSON-RPC method.
    ///   - params: the params object as JSON text.
    /// - Throws: ``LoadError/setup(_:)`` naming the method when it answers an error.
    func call(_ method: String, params: String) throws(LoadError) -> JSONValue {
        let response = try send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\(method)\",\"params\":\(params)}")
        if let error = response["error"] {
            throw .setup("\(method) \(params): error \(error.description)")
        }
        guard let result = response["result"] else { throw .setup("\(method): no result in \(response.description.prefix(200))") }
        return result
    }
}
