import JSON
import JSONRPC

/// How much listing one HTTP request may ask for, across the calls of a batch (second hostile
/// pass): without it, one batch of a thousand `inspect {}` over thousands of pools blocks the loop
/// for a minute and answers gigabytes.
///
/// A unit is one pool or lease listed (`rpc.discover` counts ``discoverCost``). A listing call runs
/// while the request has spent less than ``limit``, so the first always runs, whatever its size;
/// later ones get -32003 and change nothing. Loop thread only.
public final class RequestBudget: @unchecked Sendable {
    /// The units one request may spend before its further listing calls are refused.
    public static let defaultLimit = 50_000
    /// What `rpc.discover` costs, about its size in pools' worth of JSON.
    static let discoverCost = 1_000

    public let limit: Int
    public private(set) var spent = 0

    public init(limit: Int = RequestBudget.defaultLimit) {
        self.limit = limit
    }

    /// Throws -32003 when the request has spent its budget.
    func check(_ method: String) throws(JSONRPCError) {
        guard spent >= limit else { return }
        throw .requestTooExpensive(method: method, spent: spent, limit: limit)
    }

    /// Records what a listing call returned.
    func spend(_ units: Int) {
        spent += units
    }
}

extension JSONRPCError {
    /// -32003: the HTTP request has already listed its budget of pools and leases; the call was
    /// not run. Server-defined code in the range JSON-RPC 2.0 section 5.1 leaves to implementations.
    static func requestTooExpensive(method: String, spent: Int, limit: Int) -> JSONRPCError {
        JSONRPCError(
            code: -32003,
            message: "Request too expensive: its calls already listed \(spent) pools and leases (limit \(limit)); send \(method) in another request",
            data: ["spent": .number(JSONNumber(Int64(spent))), "limit": .number(JSONNumber(Int64(limit)))]
        )
    }
}
