import JSON
import JSONRPC

/// A JSON-RPC 2.0 client over HTTP POST (libcurl's easy API), params by name.
///
/// One instance keeps one connection alive between calls; use it from one thread at a time.
public final class JSONRPCClient {
    /// The endpoint, e.g. `http://127.0.0.1:8080/rpc`.
    public let url: String
    private let session: CurlSession
    private var nextID: Int64 = 1

    /// - Parameters:
    ///   - url: the endpoint the requests are POSTed to.
    ///   - timeoutSeconds: the most one request may take, in seconds (default 30).
    ///   - credentials: bearer token, CA file and client certificate (issue #6).
    /// - Throws: ``ClientError/transport(_:)`` when libcurl cannot make a handle.
    public init(url: String, timeoutSeconds: Int = 30, credentials: ClientCredentials = ClientCredentials()) throws(ClientError) {
        self.url = url
        do {
            session = try CurlSession(url: url, timeoutSeconds: timeoutSeconds, credentials: credentials)
        } catch {
            throw .transport(error)
        }
    }

    /// Calls one method.
    /// - Parameters:
    ///   - method: the method's name, e.g. `reserve`.
    ///   - params: its params, by name.
    /// - Returns: the response's `result`.
    /// - Throws: ``ClientError/server(_:)`` with the JSON-RPC error object (e.g. 1002),
    ///   ``ClientError/transport(_:)`` when the server cannot be reached,
    ///   ``ClientError/invalidResponse(url:reason:)`` when the answer is not a JSON-RPC response.
    public func call(_ method: String, _ params: JSONObject = [:]) throws(ClientError) -> JSONValue {
        let id = takeID()
        let answer = try send(.object(request(method, params, id: id)))
        guard case .object(let response) = answer else {
            throw .invalidResponse(url: url, reason: "expected an object, got \(answer.typeName)")
        }
        return try outcome(of: response, id: id).get()
    }

    /// Sends several calls as one JSON-RPC batch (section 6).
    /// - Parameter calls: the calls, as (method, params).
    /// - Returns: one outcome per call, in the order of `calls` (matched by id, whatever order
    ///   the server answered in).
    /// - Throws: ``ClientError/transport(_:)`` or ``ClientError/invalidResponse(url:reason:)``
    ///   when the batch as a whole fails; errors of single calls are in the outcomes.
    public func batch(_ calls: [(method: String, params: JSONObject)]) throws(ClientError) -> [Result<JSONValue, JSONRPCError>] {
        guard !calls.isEmpty else { return [] }
        let ids = calls.map { _ in takeID() }
        let requests = zip(calls, ids).map { JSONValue.object(request($0.method, $0.params, id: $1)) }
        let answer = try send(.array(requests))
        guard case .array(let responses) = answer else {
            // A batch the server could not read at all is answered with one error object.
            if case .object(let object) = answer, let error = object["error"].flatMap({ JSONRPCError(json: $0) }) {
                throw .server(error)
            }
            throw .invalidResponse(url: url, reason: "expected an array for a batch, got \(answer.typeName)")
        }
        var byID: [Int64: JSONObject] = [:]
        for case .object(let response) in responses {
            if let id = response["id"]?.int64Value { byID[id] = response }
        }
        var outcomes: [Result<JSONValue, JSONRPCError>] = []
        for id in ids {
            guard let response = byID[id] else {
                throw .invalidResponse(url: url, reason: "the batch answer has no response with id \(id)")
            }
            do {
                outcomes.append(.success(try outcome(of: response, id: id).get()))
            } catch {
                guard case .server(let serverError) = error else { throw error }
                outcomes.append(.failure(serverError))
            }
        }
        return outcomes
    }

    private func takeID() -> Int64 {
        defer { nextID += 1 }
        return nextID
    }

    private func request(_ method: String, _ params: JSONObject, id: Int64) -> JSONObject {
        ["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": .string(method), "params": .object(params)]
    }

    /// POSTs one request value and parses the answer.
    private func send(_ value: JSONValue) throws(ClientError) -> JSONValue {
        let response: (status: Int, body: [UInt8])
        do {
            response = try session.post(JSONWriter.serialize(value))
        } catch {
            throw .transport(error)
        }
        guard response.status == 200 else {
            // A 401 carries a JSON-RPC error (-32002 Unauthorized): report it as the server's answer.
            if response.status == 401, case .object(let object)? = try? JSONReader.parse(response.body),
               let error = object["error"].flatMap({ JSONRPCError(json: $0) }) {
                throw .server(error)
            }
            let text = String(decoding: response.body.prefix(500), as: UTF8.self)
            throw .invalidResponse(url: url, reason: "HTTP \(response.status) \(text)")
        }
        do {
            return try JSONReader.parse(response.body)
        } catch {
            throw .invalidResponse(url: url, reason: "\(error)")
        }
    }

    /// The `result` of one response object, or its error.
    private func outcome(of response: JSONObject, id: Int64) -> Result<JSONValue, ClientError> {
        if let error = response["error"] {
            guard let serverError = JSONRPCError(json: error) else {
                return .failure(.invalidResponse(url: url, reason: "malformed error object \(error)"))
            }
            return .failure(.server(serverError))
        }
        guard let result = response["result"] else {
            return .failure(.invalidResponse(url: url, reason: "response \(id) has neither result nor error"))
        }
        return .success(result)
    }
}
