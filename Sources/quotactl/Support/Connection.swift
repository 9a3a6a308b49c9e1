import JSON
import JSONRPC
import QuotaClient

/// quotactl's calls to quotad, with failures turned into messages that name the cause.
final class Connection {
    let client: JSONRPCClient

    /// - Throws: ``CommandFailure`` when libcurl cannot make a handle.
    init(url: String, credentials: ClientCredentials) throws(CommandFailure) {
        do {
            client = try JSONRPCClient(url: url, credentials: credentials)
        } catch {
            throw CommandFailure(error.description)
        }
    }

    /// Calls one method.
    /// - Parameters:
    ///   - context: what the call was for, put before the error (`reserve vm1`); nil for none.
    /// - Returns: the result.
    /// - Throws: ``CommandFailure``: `context: error CODE: message (data: …)`, or
    ///   `cannot reach URL: curl's message`.
    func call(_ method: String, _ params: JSONObject, context: String? = nil) throws(CommandFailure) -> JSONValue {
        do {
            return try client.call(method, params)
        } catch {
            throw CommandFailure(Self.describe(error, context: context))
        }
    }

    /// Most calls per batch: below quotad's default `--max-batch` of 1000.
    static let batchLimit = 500

    /// Calls several methods as JSON-RPC batches of at most ``batchLimit`` calls.
    /// - Returns: one outcome per call, in order; a server error of one call is its failure.
    /// - Throws: ``CommandFailure`` when a batch as a whole fails (transport, bad answer).
    func batch(_ calls: [(method: String, params: JSONObject)]) throws(CommandFailure) -> [Result<JSONValue, JSONRPCError>] {
        var outcomes: [Result<JSONValue, JSONRPCError>] = []
        for start in stride(from: 0, to: calls.count, by: Self.batchLimit) {
            do {
                outcomes += try client.batch(Array(calls[start..<min(start + Self.batchLimit, calls.count)]))
            } catch {
                throw CommandFailure(Self.describe(error, context: nil))
            }
        }
        return outcomes
    }

    /// Calls `method` and returns nil for a 1001 PoolNotFound answer.
    func callAllowingMissingPool(_ method: String, _ params: JSONObject) throws(CommandFailure) -> JSONValue? {
        do {
            return try client.call(method, params)
        } catch {
            if case .server(let serverError) = error, serverError.code == 1001 { return nil }
            throw CommandFailure(Self.describe(error, context: nil))
        }
    }

    static func describe(_ error: ClientError, context: String?) -> String {
        let prefix = context.map { "\($0): " } ?? ""
        switch error {
        case .server(let serverError): return prefix + describe(serverError)
        default: return prefix + error.description
        }
    }

    /// `quotad answered error CODE: message (data: {...})`; -32602's data {field, reason} is
    /// already in its message and left out.
    static func describe(_ error: JSONRPCError) -> String {
        var text = "quotad answered error \(error.code): \(error.message)"
        if let data = error.data, !data.isNull, error.code != -32602 { text += " (data: \(JSONWriter.string(data)))" }
        return text
    }
}
