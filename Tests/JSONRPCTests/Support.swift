import Foundation
import JSON
import JSONRPC
import Testing
import TestSupport

/// Records which handlers ran, so tests can see that notifications are executed.
final class CallLog: @unchecked Sendable {
    private let lock = NSLock()
    private var names: [String] = []

    func record(_ name: String) {
        lock.lock()
        names.append(name)
        lock.unlock()
    }

    var calls: [String] {
        lock.lock()
        defer { lock.unlock() }
        return names
    }
}

/// The methods of the specification's section 7 examples, by name, plus a few
/// helpers. Every handler validates all of its params before acting.
func makeDispatcher(maxBatchSize: Int = 1000, maxDepth: Int = 64) -> JSONRPCDispatcher<CallLog> {
    var d = JSONRPCDispatcher<CallLog>(maxBatchSize: maxBatchSize, maxDepth: maxDepth)
    d.register("subtract") { params, log throws(JSONRPCError) in
        let minuend = try params.integer("minuend", in: -1_000_000...1_000_000)
        let subtrahend = try params.integer("subtrahend", in: -1_000_000...1_000_000)
        try params.rejectUnknown()
        log.record("subtract")
        return JSONValue(minuend - subtrahend)
    }
    d.register("sum") { params, log throws(JSONRPCError) in
        let values = try params.array("values")
        try params.rejectUnknown()
        var total: Int64 = 0
        for (i, v) in values.enumerated() {
            guard let n = v.int64Value, abs(n) < 1 << 40 else {
                throw .invalidParams(field: "values[\(i)]", reason: "must be an integer")
            }
            total += n
        }
        log.record("sum")
        return JSONValue(total)
    }
    d.register("update") { params, log throws(JSONRPCError) in
        log.record("update")
        return nil
    }
    d.register("notify_hello") { params, log throws(JSONRPCError) in
        log.record("notify_hello")
        return nil
    }
    d.register("notify_sum") { params, log throws(JSONRPCError) in
        log.record("notify_sum")
        return nil
    }
    d.register("get_data") { params, log throws(JSONRPCError) in
        try params.rejectUnknown()
        log.record("get_data")
        return ["hello", 5]
    }
    d.register("echo") { params, log throws(JSONRPCError) in
        log.record("echo")
        var result = JSONObject()
        for name in params.names {
            result.append(name, params.value(name) ?? nil)
        }
        return .object(result)
    }
    d.register("fail") { params, log throws(JSONRPCError) in
        log.record("fail")
        throw JSONRPCError(code: -32001, message: "Quota exceeded", data: ["pool": "p"])
    }
    return d
}

/// Runs a body through a fresh dispatcher.
func call(_ body: String, maxBatchSize: Int = 1000, log: CallLog = CallLog()) -> String? {
    makeDispatcher(maxBatchSize: maxBatchSize).handle(body: Array(body.utf8), context: log).map { String(decoding: $0, as: UTF8.self) }
}

/// Parses a response body strictly, failing the test if it is not valid JSON-RPC.
func responses(_ body: String?, sourceLocation: SourceLocation = #_sourceLocation) throws -> (responses: [JSONRPCResponse], isBatch: Bool) {
    let text = try #require(body, "expected a response", sourceLocation: sourceLocation)
    do {
        return try JSONRPCResponse.decode(body: Array(text.utf8))
    } catch {
        Issue.record("not a valid response body: \(error): \(text)", sourceLocation: sourceLocation)
        throw error
    }
}

/// The single (non-batch) response of a body.
func single(_ body: String?, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONRPCResponse {
    let (list, isBatch) = try responses(body, sourceLocation: sourceLocation)
    #expect(!isBatch, "expected a single response object, got \(body ?? "nil")", sourceLocation: sourceLocation)
    return try #require(list.first, sourceLocation: sourceLocation)
}

/// The JSON-RPC error code of a response, or nil for a success.
extension JSONRPCResponse {
    var code: Int? { error?.code }
}

/// The JSONTestSuite files beside the repository.
enum Corpus {
    static func files(prefix: String, atLeast minimum: Int) throws -> [SharedFixtures.File] {
        try SharedFixtures.jsonTestSuite(prefix: prefix, atLeast: minimum)
    }
}
