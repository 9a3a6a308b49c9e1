import Foundation
import Testing

/// HTTP conventions of the real binary: JSON-RPC on POST /rpc, HTTP statuses for HTTP problems.
@Suite struct HTTPRoutingTests {
    @Test func routesAndStatuses() throws {
        let server = try QuotadProcess(arguments: ["--store", "memory"])
        let client = server.client

        let health = try client.request("GET", "/healthz")
        #expect(health.status == 200)

        let wrongMethod = try client.request("GET", "/rpc")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "POST")
        #expect(wrongMethod.object["error"] is String)

        let unknownPath = try client.request("GET", "/nope")
        #expect(unknownPath.status == 404)
        #expect(unknownPath.headers["content-type"] == "application/json")

        let options = try client.request("OPTIONS", "/rpc")
        #expect(options.status == 405)
        #expect(options.object["error"] is String)

        let body = Data(#"{"jsonrpc":"2.0","id":1,"method":"inspect"}"#.utf8)
        #expect(try client.post(body, contentType: "text/plain").status == 415)
        let charset = try client.post(body, contentType: "application/json; charset=utf-8")
        #expect(charset.status == 200)
        #expect(charset.headers["content-type"] == "application/json")
        #expect(charset.object["id"] as? Int == 1)

        let notification = try client.post(Data(#"{"jsonrpc":"2.0","method":"inspect"}"#.utf8))
        #expect(notification.status == 204)
        #expect(notification.body.isEmpty)

        let unknownMethod = try client.call("frobnicate")
        #expect((unknownMethod["error"] as? [String: Any])?["code"] as? Int == -32601)
    }

    @Test func discoverReturnsTheOpenRPCDocument() throws {
        let server = try QuotadProcess(arguments: ["--store", "memory"])
        let document = try server.client.result("rpc.discover")
        #expect((document["openrpc"] as? String)?.hasPrefix("1.2") == true)
        let names = Set(((document["methods"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String })
        #expect(names.isSuperset(of: ["setPool", "deletePool", "reserve", "release", "renew", "inspect"]))
    }

    /// One request may list at most 50,000 pools and leases across its calls: a batch of 1000
    /// `inspect {}` over 100 pools runs 500 of them and refuses the rest with -32003.
    @Test func aBatchOfListingsStopsAtTheRequestBudget() throws {
        let server = try QuotadProcess(arguments: ["--store", "memory"])
        let client = server.client
        let setup = (0..<100).map { n -> [String: Any] in
            ["jsonrpc": "2.0", "id": n, "method": "setPool", "params": ["pool": "p\(n)", "capacity": [:]]]
        }
        _ = try client.post(JSONSerialization.data(withJSONObject: setup))
        let batch = (0..<1000).map { n -> [String: Any] in ["jsonrpc": "2.0", "id": n, "method": "inspect", "params": [:]] }
        let response = try client.post(JSONSerialization.data(withJSONObject: batch))
        let answers = try #require(response.json as? [[String: Any]])
        #expect(answers.count == 1000)
        let listed = answers.filter { $0["result"] != nil }
        let refused = answers.compactMap { ($0["error"] as? [String: Any])?["code"] as? Int }
        #expect(listed.count == 500)
        #expect(refused.count == 500 && refused.allSatisfy { $0 == -32003 })
        // The next request has a budget of its own.
        #expect(try client.result("inspect")["pools"].flatMap { ($0 as? [Any])?.count } == 100)
    }
}
