import EventHTTP
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Deferred replies sent after the client has gone, and servers closed under pending
/// replies: no crash, no use-after-free, no leaked connection.
@Suite struct DeferredReplyTests {
    /// Opens a connection, sends a request, closes (FIN or RST) before the deferred
    /// reply, then replies. Many times, with pending data sometimes left behind.
    @Test func replyAfterClientClosedIsSafe() throws {
        let pending = Box<[HTTPResponder]>([])
        let handled = Box(0)
        try withServer(handler: { _, responder in
            pending.value.append(responder)
            handled.value += 1
        }) { harness, server, port in
            for round in 0..<150 {
                let client = try TestClient(port: port)
                // Sometimes pipeline a second request that is never read.
                let extra = round % 3 == 0 ? get("/unread") : ""
                try client.send(post("/rpc", body: "{\"n\":\(round)}") + extra)
                #expect(harness.waitUntil { handled.value == round + 1 })
                if round % 2 == 0 { client.closeWithReset() } else { client.close() }
                if round % 5 == 0 { usleep(2_000) }
                harness.onLoop {
                    for responder in pending.value {
                        _ = responder.isConnectionOpen
                        responder.send(status: 200, body: Array(repeating: UInt8(ascii: "x"), count: round % 4 == 0 ? 300_000 : 10))
                        responder.send(status: 200, body: [])  // ignored
                    }
                    pending.value = []
                }
            }
            // Every connection is eventually noticed as closed and released.
            #expect(harness.waitUntil(seconds: 20) { server.openConnections == 0 })
            // The server still serves.
            let client = try TestClient(port: port)
            try client.send(get("/alive"))
            #expect(harness.waitUntil { handled.value == 151 })
            harness.onLoop {
                pending.value.forEach { $0.send(status: 200, body: Array("alive".utf8)) }
                pending.value = []
            }
            #expect(try client.readResponse().text == "alive")
        }
    }

    /// Clients that use `Expect: 100-continue` and reset the connection at various
    /// moments around the interim response, with the reply deferred.
    @Test func expectContinueClientsResettingEarlyAreSafe() throws {
        let pending = Box<[HTTPResponder]>([])
        try withServer(handler: { _, responder in pending.value.append(responder) }) { harness, server, port in
            for round in 0..<60 {
                let client = try TestClient(port: port)
                try client.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
                if round % 3 != 0 { try client.send("data") }
                if round % 4 == 0 { usleep(1_000) }
                client.closeWithReset()
                if round % 2 == 0 { usleep(2_000) }
                harness.onLoop {
                    pending.value.forEach { $0.send(status: 200, body: Array("late".utf8)) }
                    pending.value = []
                }
            }
            #expect(harness.waitUntil(seconds: 20) { server.openConnections == 0 })
            harness.onLoop {
                pending.value.forEach { $0.send(status: 200, body: []) }
                pending.value = []
            }
        }
    }

    /// Several clients leave at once while their replies are batched in one trigger.
    @Test func batchedRepliesToDepartedClientsAreSafe() throws {
        let pending = Box<[HTTPResponder]>([])
        try withServer(handler: { _, responder in pending.value.append(responder) }) { harness, server, port in
            for _ in 0..<20 {
                let clients = try (0..<10).map { _ in try TestClient(port: port) }
                for client in clients { try client.send(get("/x")) }
                #expect(harness.waitUntil { pending.value.count == 10 })
                for (index, client) in clients.enumerated() where index % 2 == 0 { client.closeWithReset() }
                harness.onLoop {
                    pending.value.forEach { $0.send(status: 200, body: Array("late".utf8)) }
                    pending.value = []
                }
                for (index, client) in clients.enumerated() where index % 2 == 1 {
                    #expect(try client.readResponse().text == "late")
                }
            }
            #expect(harness.waitUntil(seconds: 20) { server.openConnections == 0 })
        }
    }

    /// Closing the server drops connections whose replies are still deferred; the
    /// responders are invalidated and later sends are ignored.
    @Test func closingTheServerInvalidatesPendingResponders() throws {
        let harness = try LoopHarness()
        var configuration = HTTPServer.Configuration()
        configuration.port = 0
        let pending = Box<[HTTPResponder]>([])
        let server = try HTTPServer(loop: harness.loop, configuration: configuration) { _, responder in
            pending.value.append(responder)
        }
        let port = server.boundPort
        harness.start()
        defer { harness.stop() }
        let clients = try (0..<5).map { _ in try TestClient(port: port) }
        for client in clients { try client.send(get("/x")) }
        #expect(harness.waitUntil { pending.value.count == 5 })
        harness.onLoop {
            #expect(pending.value.allSatisfy { $0.isConnectionOpen })
            server.close()
            #expect(server.openConnections == 0)
            #expect(pending.value.allSatisfy { !$0.isConnectionOpen && $0.hasSent })
            pending.value.forEach { $0.send(status: 200, body: Array("too late".utf8)) }
            pending.value = []
        }
        for client in clients { #expect(client.waitForClose()) }
    }

    /// A responder that outlives its server (dropped without replying) is harmless.
    @Test func responderOutlivingTheServerIsHarmless() throws {
        let harness = try LoopHarness()
        var configuration = HTTPServer.Configuration()
        configuration.port = 0
        let pending = Box<[HTTPResponder]>([])
        let serverBox = Box<HTTPServer?>(try HTTPServer(loop: harness.loop, configuration: configuration) { _, responder in
            pending.value.append(responder)
        })
        let port = harness.onLoopUnstarted { serverBox.value!.boundPort }
        harness.start()
        defer { harness.stop() }
        let client = try TestClient(port: port)
        try client.send(get("/x"))
        #expect(harness.waitUntil { pending.value.count == 1 })
        harness.onLoop {
            serverBox.value = nil  // deinit closes
            pending.value = []     // deinit of the responder must not touch freed memory
        }
        #expect(client.waitForClose())
    }
}

extension LoopHarness {
    /// Runs `body` directly (the loop thread has not started yet).
    func onLoopUnstarted<T>(_ body: () -> T) -> T { body() }
}
