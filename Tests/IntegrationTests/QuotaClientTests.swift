import JSON
import QuotaClient
import Testing

/// The QuotaClient library (JSON-RPC 2.0 over libcurl) against the real quotad.
@Suite(.serialized)
struct QuotaClientTests {
    @Test func callReturnsTheResultAndServerErrorsAreTyped() throws {
        let server = try QuotadProcess(arguments: ["--store", "memory"])
        let client = try JSONRPCClient(url: "\(server.url)/rpc")
        let created = try client.call("setPool", ["pool": "c1", "capacity": ["limits.cpu": "2"]])
        #expect(created["created"]?.boolValue == true)
        #expect(created["pool"]?["capacity"]?["limits.cpu"]?.stringValue == "2")
        do {
            _ = try client.call("reserve", ["pool": "c9", "lease": "6f1c2a3b-8d4e-4f5a-9b6c-7d8e9f0a1b2c", "resources": ["limits.cpu": "1"]])
            Issue.record("reserve in a missing pool succeeded")
        } catch {
            guard case .server(let serverError) = error else { Issue.record("expected a server error, got \(error)"); return }
            #expect(serverError.code == 1001)
            #expect(serverError.message.contains("PoolNotFound"))
            #expect(serverError.data?["pool"]?.stringValue == "c9")
        }
    }

    @Test func batchOutcomesComeBackInCallOrder() throws {
        let server = try QuotadProcess(arguments: ["--store", "memory"])
        let client = try JSONRPCClient(url: "\(server.url)/rpc")
        let outcomes = try client.batch([
            ("setPool", ["pool": "c1", "capacity": ["limits.cpu": "2"]]),
            ("inspect", ["pool": "missing"]),
            ("inspect", ["pool": "c1"]),
            ("noSuchMethod", [:]),
        ])
        #expect(outcomes.count == 4)
        #expect((try? outcomes[0].get())?["created"]?.boolValue == true)
        guard case .failure(let missing) = outcomes[1], case .failure(let unknown) = outcomes[3] else {
            Issue.record("expected failures at 1 and 3: \(outcomes)")
            return
        }
        #expect(missing.code == 1001)
        #expect(unknown.code == -32601)
        #expect((try? outcomes[2].get())?["pool"]?["name"]?.stringValue == "c1")
    }

    @Test func unreachableServerIsATransportErrorNamingTheURL() throws {
        let url = try QuotactlCommandTests.closedServerURL() + "/rpc"
        let client = try JSONRPCClient(url: url, timeoutSeconds: 5)
        do {
            _ = try client.call("inspect")
            Issue.record("a call to a closed port succeeded")
        } catch {
            guard case .transport(let transport) = error else { Issue.record("expected a transport error, got \(error)"); return }
            #expect(transport.url == url)
            #expect(transport.curlCode == 7) // CURLE_COULDNT_CONNECT
            #expect(error.description.hasPrefix("cannot reach \(url): "))
        }
    }

    @Test func nonRPCAnswerIsAnInvalidResponse() throws {
        let server = try QuotadProcess(arguments: ["--store", "memory"])
        let client = try JSONRPCClient(url: "\(server.url)/no-such-path")
        do {
            _ = try client.call("inspect")
            Issue.record("a 404 was taken for an answer")
        } catch {
            guard case .invalidResponse(_, let reason) = error else { Issue.record("expected invalidResponse, got \(error)"); return }
            #expect(reason.hasPrefix("HTTP 404"))
        }
    }
}
