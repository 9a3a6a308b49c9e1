import EventHTTP
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Limits, timeouts and malformed framing ("hostile input").
@Suite struct HostileInputTests {
    private func expectJSONError(_ response: TestResponse, status: Int, message: String,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.header("Content-Type") == "application/json", sourceLocation: sourceLocation)
        #expect(response.header("Connection") == "close", sourceLocation: sourceLocation)
        #expect(response.text == #"{"error":"\#(message)"}"#, sourceLocation: sourceLocation)
    }

    // MARK: Body size

    @Test func bodyOverTheLimitGets413JSONAfterTheWholeUploadIsRead() throws {
        let handled = Box(0)
        try withServer(configure: { $0.maxBodyBytes = 64 << 10 }, handler: { request, responder in
            handled.value += 1
            echoHandler(request, responder)
        }) { harness, _, port in
            let client = try TestClient(port: port)
            let size = 4 << 20
            try client.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
            // The server drains the announced body (lingering close), so the whole
            // upload goes through and the 413 is read rather than a reset.
            try client.send([UInt8](repeating: 0x61, count: size))
            let response = try client.readResponse()
            expectJSONError(response, status: 413, message: "request body exceeds 65536 bytes")
            #expect(client.waitForClose())
            #expect(harness.onLoop { handled.value } == 0)
            // Exactly at the limit is fine.
            let ok = try TestClient(port: port)
            let body = String(repeating: "b", count: 64 << 10)
            #expect(try ok.exchange(post("/fits", body: body)).status == 200)
        }
    }

    @Test func chunkedBodyOverTheLimitGets413JSON() throws {
        try withServer(configure: { $0.maxBodyBytes = 1024 }, handler: echoHandler) { _, _, port in
            let client = try TestClient(port: port)
            try client.send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            try client.send("400\r\n" + String(repeating: "a", count: 1024) + "\r\n")
            try client.send("1\r\na\r\n")
            let response = try client.readResponse()
            expectJSONError(response, status: 413, message: "request body exceeds 1024 bytes")
        }
    }

    // MARK: Head size

    @Test func headOverTheLimitGets431JSON() throws {
        try withServer(configure: { $0.maxHeaderBytes = 2048 }, handler: echoHandler) { _, _, port in
            let client = try TestClient(port: port)
            let response = try client.exchange(get("/", headers: "X-Big: \(String(repeating: "h", count: 4096))\r\n"))
            expectJSONError(response, status: 431, message: "request header exceeds 2048 bytes")
            let many = try TestClient(port: port)
            let lines = (0..<200).map { "X-H\($0): value\r\n" }.joined()
            expectJSONError(try many.exchange(get("/", headers: lines)), status: 431,
                            message: "request header exceeds 2048 bytes")
        }
    }

    // MARK: Framing

    @Test(arguments: [
        ("Content-Length: 5\r\nContent-Length: 5\r\n", "hello", "duplicate Content-Length header"),
        ("Content-Length: 5\r\nContent-Length: 3\r\n", "hello", "duplicate Content-Length header"),
        // The first value is larger than what is sent: without the check evhttp would
        // wait for the missing bytes until the idle timeout.
        ("Content-Length: 100\r\nContent-Length: 5\r\n", "hello", "duplicate Content-Length header"),
        ("Content-Length: 5, 5\r\n", "hello", "invalid Content-Length header"),
        ("Content-Length: +5\r\n", "hello", "invalid Content-Length header"),
        ("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n", "both Content-Length and Transfer-Encoding"),
        ("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n", "both Content-Length and Transfer-Encoding"),
        ("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n", "unsupported Transfer-Encoding"),
        ("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n", "duplicate Transfer-Encoding header"),
        ("Content-Length : 5\r\n", "hello", "whitespace in a header field name"),
    ])
    func conflictingFramingGets400JSONWithoutWaiting(headers: String, body: String, message: String) throws {
        let handled = Box(0)
        // A long idle timeout: a hang would show up as the client's 5 s receive timeout.
        try withServer(configure: { $0.idleTimeoutSeconds = 60 }, handler: { request, responder in
            handled.value += 1
            echoHandler(request, responder)
        }) { harness, _, port in
            let client = try TestClient(port: port, receiveTimeout: 5)
            let response = try client.exchange("POST /f HTTP/1.1\r\nHost: x\r\n\(headers)\r\n\(body)")
            expectJSONError(response, status: 400, message: message)
            #expect(harness.onLoop { handled.value } == 0)
        }
    }

    @Test func headerLinesSplitAcrossReadsAreStillChecked() throws {
        try withServer(configure: { $0.idleTimeoutSeconds = 60 }, handler: echoHandler) { _, _, port in
            let client = try TestClient(port: port, receiveTimeout: 5)
            try client.send("POST /f HTTP/1.1\r\nHost: x\r\nContent-Le")
            usleep(30_000)
            try client.send("ngth: 50\r\nX-A: 1\r\n")
            usleep(30_000)
            try client.send("Content-Length: 2\r\n\r\nhi")
            expectJSONError(try client.readResponse(), status: 400, message: "duplicate Content-Length header")
        }
    }

    @Test func pipelinedRequestWithBadFramingIsRejectedAfterTheGoodOne() throws {
        let paths = Box<[String]>([])
        try withServer(configure: { $0.idleTimeoutSeconds = 60 }, handler: { request, responder in
            paths.value.append(request.path)
            echoHandler(request, responder)
        }) { harness, _, port in
            let client = try TestClient(port: port, receiveTimeout: 5)
            try client.send(post("/good", body: "Content-Length: 9\r\n")
                + "POST /bad HTTP/1.1\r\nContent-Length: 100\r\nContent-Length: 4\r\n\r\nbody")
            #expect(try client.readResponse().text == "POST /good Content-Length: 9\r\n")
            expectJSONError(try client.readResponse(), status: 400, message: "duplicate Content-Length header")
            #expect(harness.onLoop { paths.value } == ["/good"])
        }
    }

    @Test func bodyBytesThatLookLikeHeadersAreNotScanned() throws {
        try withServer(handler: echoHandler) { _, _, port in
            let client = try TestClient(port: port)
            let body = "Content-Length: 1\r\nContent-Length: 2\r\nTransfer-Encoding: gzip\r\n\r\n"
            #expect(try client.exchange(post("/b", body: body)).text == "POST /b " + body)
            let chunkBody = "Content-Length: 1\r\nContent-Length: 2\r\n"
            let hex = String(chunkBody.utf8.count, radix: 16)
            try client.send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\(hex)\r\n\(chunkBody)\r\n0\r\n\r\n")
            #expect(try client.readResponse().text == "POST /c " + chunkBody)
        }
    }

    @Test func garbageGetsJSON400() throws {
        try withServer(handler: echoHandler) { _, _, port in
            let client = try TestClient(port: port)
            expectJSONError(try client.exchange("this is not http\r\n\r\n"), status: 400, message: "bad request")
            let noColon = try TestClient(port: port)
            expectJSONError(try noColon.exchange("GET / HTTP/1.1\r\nNoColonHere\r\n\r\n"), status: 400, message: "bad request")
            let badChunk = try TestClient(port: port)
            try badChunk.send("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
            let response = try badChunk.readResponse()
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.status == 413 || response.status == 400)  // evhttp reports corrupt chunks as "too long"
        }
    }

    // MARK: Timeouts

    @Test func halfRequestAndIdleKeepAliveAreDisconnectedWhileOthersAreServed() throws {
        try withServer(configure: { $0.idleTimeoutSeconds = 1 }, handler: echoHandler) { harness, server, port in
            let slow = try TestClient(port: port, receiveTimeout: 15)
            try slow.send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
            let idle = try TestClient(port: port, receiveTimeout: 15)
            #expect(try idle.exchange(get("/once")).text == "GET /once")
            let silent = try TestClient(port: port, receiveTimeout: 15)
            // Meanwhile the loop keeps serving others.
            for index in 0..<5 {
                let other = try TestClient(port: port)
                #expect(try other.exchange(get("/other\(index)")).text == "GET /other\(index)")
            }
            #expect(slow.waitForClose())
            #expect(idle.waitForClose())
            #expect(silent.waitForClose())
            #expect(harness.waitUntil { server.openConnections == 0 })
            let after = try TestClient(port: port)
            #expect(try after.exchange(get("/after")).text == "GET /after")
        }
    }

    @Test func tricklingHeaderLinesHitTheHeadDeadline() throws {
        try withServer(configure: { $0.idleTimeoutSeconds = 1 }, handler: echoHandler) { _, _, port in
            let slowloris = try TestClient(port: port, receiveTimeout: 15)
            try slowloris.send("GET / HTTP/1.1\r\nHost: x\r\n")
            // One header line every 0.3 s resets libevent's per-read timeout each time;
            // the head deadline still ends it.
            var closed = false
            for index in 0..<40 {
                usleep(300_000)
                do { try slowloris.send("X-Keep-\(index): alive\r\n") } catch { closed = true; break }
            }
            #expect(closed || slowloris.waitForClose())
        }
    }

    @Test func aDeferredReplyIsNotCutByTheIdleTimeout() throws {
        let pending = Box<[HTTPResponder]>([])
        try withServer(configure: { $0.idleTimeoutSeconds = 1 }, handler: { _, responder in
            pending.value.append(responder)
        }) { harness, _, port in
            let client = try TestClient(port: port, receiveTimeout: 15)
            // Pipeline a partial second head too: its deadline must wait for the reply.
            try client.send(get("/wait") + "GET /second HTTP/1.1\r\n")
            #expect(harness.waitUntil { pending.value.count == 1 })
            usleep(2_500_000)
            harness.onLoop {
                pending.value.forEach { $0.send(status: 200, body: Array("late but fine".utf8)) }
                pending.value = []
            }
            #expect(try client.readResponse().text == "late but fine")
            // The unfinished second head is then timed out.
            #expect(client.waitForClose())
        }
    }

    // MARK: Connection cap

    @Test func connectionsPastTheCapGet503AndExistingOnesKeepWorking() throws {
        try withServer(configure: { $0.maxConnections = 2 }, handler: echoHandler) { harness, server, port in
            let first = try TestClient(port: port)
            let second = try TestClient(port: port)
            #expect(try first.exchange(get("/1")).text == "GET /1")
            #expect(try second.exchange(get("/2")).text == "GET /2")
            #expect(harness.onLoop { server.openConnections } == 2)
            for _ in 0..<3 {
                let extra = try TestClient(port: port)
                try extra.send(get("/3"))
                expectJSONError(try extra.readResponse(), status: 503, message: "too many connections")
                #expect(extra.waitForClose())
            }
            #expect(try first.exchange(get("/1b")).text == "GET /1b")
            #expect(try second.exchange(get("/2b")).text == "GET /2b")
            first.close()
            #expect(harness.waitUntil { server.openConnections == 1 })
            let third = try TestClient(port: port)
            #expect(try third.exchange(get("/3b")).text == "GET /3b")
            #expect(harness.onLoop { server.openConnections } == 2)
        }
    }

    @Test func aCapOfZeroMeansNoCap() throws {
        try withServer(configure: { $0.maxConnections = 0 }, handler: echoHandler) { harness, server, port in
            let clients = try (0..<12).map { _ in try TestClient(port: port) }
            for (index, client) in clients.enumerated() {
                #expect(try client.exchange(get("/\(index)")).text == "GET /\(index)")
            }
            #expect(harness.onLoop { server.openConnections } == 12)
        }
    }

    @Test func aBurstOfConnectionsNeverExceedsTheCap() throws {
        let peak = Box(0)
        let serverBox = Box<HTTPServer?>(nil)
        try withServer(configure: { $0.maxConnections = 5 }, handler: { request, responder in
            peak.value = max(peak.value, serverBox.value?.openConnections ?? 0)
            echoHandler(request, responder)
        }) { harness, server, port in
            harness.onLoop { serverBox.value = server }
            let clients = try (0..<30).map { _ in try TestClient(port: port) }
            for client in clients { try client.send(get("/b")) }
            var ok = 0, rejected = 0
            for client in clients {
                let response = try client.readResponse()
                if response.status == 200 { ok += 1 } else if response.status == 503 { rejected += 1 }
            }
            #expect(ok + rejected == 30)
            #expect(ok >= 5)
            #expect(rejected >= 1)
            #expect(harness.onLoop { peak.value } <= 5)
            harness.onLoop { serverBox.value = nil }
        }
    }
}
