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
}
