import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client to 127.0.0.1, one request per connection (over
/// ``KeepAliveConnection``), so the tests depend on nothing but the kernel. Responses are parsed with Foundation's JSONSerialization,
/// independently of quotad's own JSON reader.
struct RPCClient {
    let port: Int
    /// Sent as `Authorization: Bearer <token>` when set.
    var token: String? = nil

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: Data

        var json: Any? { try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
    }

    /// Sends raw bytes on a fresh connection and reads one response.
    func send(raw request: Data) throws -> Response {
        let connection = try KeepAliveConnection(port: port)
        try connection.write(request)
        return try connection.readResponse(headRequest: request.starts(with: Data("HEAD ".utf8)))
    }

    /// POSTs a body to /rpc.
    func post(_ body: Data, path: String = "/rpc", contentType: String? = "application/json") throws -> Response {
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        return try send(raw: Data((head + "\r\n").utf8) + body)
    }

    /// A request with no body.
    func request(_ method: String, _ path: String) throws -> Response {
        try send(raw: Data("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8))
    }

    /// The same client, sending `token`.
    func with(token: String?) -> RPCClient {
        RPCClient(port: port, token: token)
    }

    /// Calls one method and returns the whole JSON-RPC response object.
    func call(_ method: String, _ params: [String: Any] = [:], id: Int = 1) throws -> [String: Any] {
        let request: [String: Any] = ["jsonrpc": "2.0", "id": id, "method": method, "params": params]
        let response = try post(JSONSerialization.data(withJSONObject: request))
        guard response.status == 200, let object = response.json as? [String: Any] else {
            throw HarnessError("\(method): HTTP \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        }
        return object
    }

    /// Calls one method and returns its result, failing on a JSON-RPC error.
    func result(_ method: String, _ params: [String: Any] = [:]) throws -> [String: Any] {
        let response = try call(method, params)
        guard let result = response["result"] as? [String: Any] else {
            throw HarnessError("\(method) failed: \(response["error"] ?? response)")
        }
        return result
    }

    /// Calls one method and returns its error object, failing when it succeeds.
    func error(_ method: String, _ params: [String: Any] = [:]) throws -> [String: Any] {
        let response = try call(method, params)
        guard let error = response["error"] as? [String: Any] else {
            throw HarnessError("\(method) unexpectedly succeeded: \(response)")
        }
        return error
    }
}
