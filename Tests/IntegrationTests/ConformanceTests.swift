import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// JSON-RPC 2.0 conformance of the real binary over HTTP (issue #3): each case asserts the exact
/// code, the id (as raw text where exactness matters), and whether a body was sent.
@Suite(.serialized)
struct ConformanceTests {
    /// A quotad of its own for each test.
    let quotad: QuotadProcess

    init() throws {
        quotad = try QuotadProcess(arguments: ["--store", "memory"])
    }

    func server() throws -> QuotadProcess { quotad }

    /// POSTs raw bytes on a keep-alive connection and returns the response.
    func post(_ body: String) throws -> RPCClient.Response {
        try KeepAliveConnection(port: server().port).post(body)
    }

    func post(_ body: Data) throws -> RPCClient.Response {
        try KeepAliveConnection(port: server().port).post(body)
    }

    /// The single error object of a response, as (code, raw id text).
    func singleError(_ response: RPCClient.Response, sourceLocation: SourceLocation = #_sourceLocation) throws -> (code: Int, id: String) {
        #expect(response.status == 200, sourceLocation: sourceLocation)
        let object = try #require(response.json as? [String: Any], "not a single response: \(String(decoding: response.body, as: UTF8.self))", sourceLocation: sourceLocation)
        let code = try #require((object["error"] as? [String: Any])?["code"] as? Int, "no error: \(object)", sourceLocation: sourceLocation)
        return (code, Self.rawID(response.body))
    }

    /// The id member's text exactly as sent back, e.g. `9007199254740993` or `"x"` or `null`.
    static func rawID(_ body: Data) -> String {
        let text = String(decoding: body, as: UTF8.self)
        guard let range = text.range(of: #""id":"#, options: .backwards) else { return "" }
        return String(text[range.upperBound...].prefix { $0 != "}" && $0 != "," })
    }

    // MARK: Section 7 examples, mapped onto quotad's methods

    @Test func specExamples() throws {
        // A call with named params.
        let call = try post(#"{"jsonrpc":"2.0","method":"inspect","params":{},"id":3}"#)
        #expect((call.json as? [String: Any])?["result"] != nil)
        #expect(Self.rawID(call.body) == "3")
        // A notification: no body at all.
        let notification = try post(#"{"jsonrpc":"2.0","method":"inspect","params":{}}"#)
        #expect(notification.status == 204 && notification.body.isEmpty)
        // A non-existent method.
        #expect(try singleError(post(#"{"jsonrpc":"2.0","method":"foobar","id":"1"}"#)) == (-32601, #""1""#))
        // Invalid JSON.
        #expect(try singleError(post(#"{"jsonrpc":"2.0","method":"foobar,"params":"bar","baz]"#)) == (-32700, "null"))
        // Invalid Request object.
        #expect(try singleError(post(#"{"jsonrpc":"2.0","method":1,"params":"bar"}"#)) == (-32600, "null"))
        // Batch with invalid JSON.
        #expect(try singleError(post(#"[{"jsonrpc":"2.0","method":"inspect","id":"1"},{"jsonrpc":"2.0","method""#)) == (-32700, "null"))
        // Empty array.
        #expect(try singleError(post("[]")) == (-32600, "null"))
        // Invalid batches.
        for body in ["[1]", "[1,2,3]"] {
            let list = try #require(try post(body).json as? [[String: Any]], "\(body)")
            #expect(list.count == (body == "[1]" ? 1 : 3))
            #expect(list.allSatisfy { ($0["error"] as? [String: Any])?["code"] as? Int == -32600 && $0["id"] is NSNull })
        }
        // A mixed batch: one response per non-notification, in any order.
        let mixed = try post("""
            [{"jsonrpc":"2.0","method":"inspect","id":"1"},{"jsonrpc":"2.0","method":"inspect"},
             {"jsonrpc":"2.0","method":"release","params":{"lease":"00000000-0000-4000-8000-000000000001"},"id":"2"},
             {"foo":"boo"},{"jsonrpc":"2.0","method":"foo.get","params":{"name":"myself"},"id":"5"},
             {"jsonrpc":"2.0","method":"inspect","id":"9"}]
            """)
        let responses = try #require(mixed.json as? [[String: Any]])
        var byID: [String: Int] = [:]
        for response in responses {
            let id = (response["id"] as? String) ?? "null"
            byID[id] = (response["error"] as? [String: Any])?["code"] as? Int ?? 0
        }
        #expect(byID == ["1": 0, "2": 0, "null": -32600, "5": -32601, "9": 0])
        // All notifications.
        let silent = try post(#"[{"jsonrpc":"2.0","method":"inspect"},{"jsonrpc":"2.0","method":"nope"}]"#)
        #expect(silent.status == 204 && silent.body.isEmpty)
    }

    // MARK: Envelope rules

    @Test func envelopeRules() throws {
        for body in ["1", #""x""#, "null"] {
            #expect(try singleError(post(body)) == (-32600, "null"), "\(body)")
        }
        #expect(try singleError(post("")).code == -32700)
        for jsonrpc in ["", #","jsonrpc":2.0"#, #","jsonrpc":"1.0""#] {
            let body = #"{"method":"inspect","id":1"# + jsonrpc + "}"
            #expect(try singleError(post(body)).code == -32600, "\(body)")
        }
        // Ids come back digit for digit.
        for id in ["9007199254740993", "1501691352102", "1.50", "-0", #""abc""#] {
            let response = try post(#"{"jsonrpc":"2.0","method":"inspect","id":"# + id + "}")
            #expect(Self.rawID(response.body) == id, "id \(id)")
        }
        for id in ["[1]", #"{"a":1}"#] {
            #expect(try singleError(post(#"{"jsonrpc":"2.0","method":"inspect","id":"# + id + "}")) == (-32600, "null"))
        }
        // Notifications are never answered, even with unknown methods or bad params.
        for body in [#"{"jsonrpc":"2.0","method":"nope"}"#, #"{"jsonrpc":"2.0","method":"reserve","params":{"pool":"NOT VALID"}}"#] {
            let response = try post(body)
            #expect(response.status == 204 && response.body.isEmpty, "\(body)")
        }
        // Duplicate member names.
        #expect(try singleError(post(#"{"jsonrpc":"2.0","method":"inspect","id":1,"method":"inspect"}"#)).code == -32600)
        #expect(try singleError(post(#"{"jsonrpc":"2.0","method":"inspect","params":{"pool":"a","pool":"b"},"id":1}"#)).code == -32602)
        // Byte-order mark tolerated; invalid UTF-8 refused.
        var bom = Data([0xEF, 0xBB, 0xBF])
        bom.append(Data(#"{"jsonrpc":"2.0","method":"inspect","id":1}"#.utf8))
        #expect((try post(bom).json as? [String: Any])?["result"] != nil)
        var invalid = Data(#"{"jsonrpc":"2.0","method":"inspect","id":"#.utf8)
        invalid.append(contentsOf: [0x22, 0xC3, 0x28, 0x22, 0x7D])
        #expect(try singleError(post(invalid)).code == -32700)
        // Nesting past the documented 64 levels; 100,000 brackets never crash the server.
        let deep = #"{"jsonrpc":"2.0","method":"inspect","params":{"a":"# + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + #"},"id":1}"#
        #expect(try singleError(post(deep)).code == -32600)
        #expect(try singleError(post(String(repeating: "[", count: 100_000))).code == -32700)
        #expect(try singleError(post(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000))).code == -32600)
        // Numbers that do not fit their field name it.
        for ttl in ["1e400", "1.5", "-1"] {
            let body = #"{"jsonrpc":"2.0","method":"renew","params":{"lease":"00000000-0000-4000-8000-000000000001","ttlSeconds":"# + ttl + #"},"id":1}"#
            let response = try post(body)
            let error = try #require((response.json as? [String: Any])?["error"] as? [String: Any])
            #expect(error["code"] as? Int == -32602, "ttlSeconds \(ttl)")
            #expect((error["data"] as? [String: Any])?["field"] as? String == "ttlSeconds")
        }
        // Unknown params members are refused.
        let unknown = try post(#"{"jsonrpc":"2.0","method":"inspect","params":{"pools":"c1"},"id":1}"#)
        #expect(((unknown.json as? [String: Any])?["error"] as? [String: Any])?["code"] as? Int == -32602)
        // The batch limit.
        let batch = "[" + Array(repeating: #"{"jsonrpc":"2.0","method":"inspect","id":1}"#, count: 1001).joined(separator: ",") + "]"
        let limited = try post(batch)
        let error = try #require((limited.json as? [String: Any])?["error"] as? [String: Any], "a batch over the limit gets one error")
        #expect(error["code"] as? Int == -32600)
        #expect((error["message"] as? String)?.contains("1000") == true)
    }

    // MARK: The JSONTestSuite corpus as request bodies

    @Test func corpusBodiesAreJudgedRight() throws {
        let files = try SharedFixtures.jsonTestSuite(prefix: "", atLeast: 200)
        for file in files {
            let name = file.name
            let body = Data(file.bytes)
            let response = try post(body)
            #expect(response.status == 200 || response.status == 204, "\(name): HTTP \(response.status)")
            let codes: [Int]
            switch response.json {
            case let object as [String: Any]: codes = [(object["error"] as? [String: Any])?["code"] as? Int ?? 0]
            case let list as [[String: Any]]: codes = list.map { ($0["error"] as? [String: Any])?["code"] as? Int ?? 0 }
            default: codes = []
            }
            if name.hasPrefix("y_") { #expect(!codes.contains(-32700), "\(name) is valid JSON") }
            if name.hasPrefix("n_") { #expect(codes == [-32700], "\(name) is not JSON: \(codes)") }
            if name.hasPrefix("i_") {
                // Documented: huge numbers are valid JSON (-32600, not a request); lone surrogates and invalid UTF-8 are -32700.
                let expected = name.hasPrefix("i_number") ? -32600 : -32700
                #expect(codes == [expected], "\(name): \(codes)")
            }
        }
        // Still serving correct requests.
        #expect((try post(#"{"jsonrpc":"2.0","method":"inspect","id":1}"#).json as? [String: Any])?["result"] != nil)
    }
}
