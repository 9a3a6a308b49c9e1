import EventHTTP
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct HTTPServerTests {
    @Test func getWithQueryAndHeadersReachesTheHandler() throws {
        let seen = Box<HTTPRequest?>(nil)
        try withServer(handler: { request, responder in
            seen.value = request
            responder.send(status: 200, headers: [(name: "Content-Type", value: "application/json"), (name: "X-Test", value: "yes")],
                           body: Array(#"{"ok":true}"#.utf8))
        }) { harness, _, port in
            let client = try TestClient(port: port)
            let response = try client.exchange(get("/v1/things?limit=5&x=%20", headers: "X-Mixed-Case: Value\r\n"))
            #expect(response.status == 200)
            #expect(response.text == #"{"ok":true}"#)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.header("X-Test") == "yes")
            #expect(response.header("Content-Length") == "11")
            let request = harness.onLoop { seen.value }
            #expect(request?.method == "GET")
            #expect(request?.path == "/v1/things")
            #expect(request?.query == "limit=5&x=%20")
            #expect(request?.header("x-mixed-case") == "Value")
            #expect(request?.header("HOST") == "localhost")
            #expect(request?.headers.first?.name == "Host")
            #expect(request?.body == [])
            #expect(request?.remoteHost == "127.0.0.1")
        }
    }

    @Test func pathWithoutQueryHasNilQuery() throws {
        let seen = Box<HTTPRequest?>(nil)
        try withServer(handler: { request, responder in
            seen.value = request
            responder.send(status: 204, body: [])
        }) { harness, _, port in
            let client = try TestClient(port: port)
            let response = try client.exchange(get("/rpc"))
            #expect(response.status == 204)
            #expect(response.header("Content-Length") == nil)
            #expect(harness.onLoop { seen.value?.query } == nil)
            #expect(harness.onLoop { seen.value?.path } == "/rpc")
        }
    }

    @Test(arguments: ["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"])
    func everyMethodReachesTheHandler(method: String) throws {
        try withServer(handler: echoHandler) { _, _, port in
            let client = try TestClient(port: port)
            let body = method == "TRACE" ? "" : "data"
            let response = try client.exchange(
                "\(method) /m HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            #expect(response.status == 200)
            #expect(response.text == "\(method) /m" + (body.isEmpty ? "" : " data"))
            #expect(response.header("Content-Type") == "text/plain")
        }
    }

    @Test func connectReachesTheHandlerAndErrorRepliesAreFramed() throws {
        let methods = Box<[String]>([])
        try withServer(handler: { request, responder in
            methods.value.append(request.method)
            if request.method == "CONNECT" {
                responder.send(status: 405, body: Array(#"{"error":"no tunnels"}"#.utf8))
            } else {
                echoHandler(request, responder)
            }
        }) { harness, _, port in
            let client = try TestClient(port: port)
            let refused = try client.exchange("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
            #expect(refused.status == 405)
            #expect(refused.text == #"{"error":"no tunnels"}"#)
            #expect(try client.exchange(get("/next")).text == "GET /next")
            #expect(harness.onLoop { methods.value } == ["CONNECT", "GET"])
        }
    }

    @Test func headGetsContentLengthButNoBody() throws {
        try withServer(handler: echoHandler) { _, _, port in
            let client = try TestClient(port: port)
            try client.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n")
            // Read the head only; then a second request proves no body bytes followed.
            let head = try client.readHeadOnly()
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "\("HEAD /h".utf8.count)")
            let next = try client.exchange(get("/after"))
            #expect(next.text == "GET /after")
        }
    }

    @Test func unknownMethodGetsJSON501() throws {
        try withServer(handler: echoHandler) { _, _, port in
            let client = try TestClient(port: port)
            let response = try client.exchange("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.status == 501)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.text == #"{"error":"method not implemented"}"#)
        }
    }

    @Test func postBodyIsDelivered() throws {
        try withServer(handler: echoHandler) { _, _, port in
            let client = try TestClient(port: port)
            let response = try client.exchange(post("/rpc", body: #"{"jsonrpc":"2.0"}"#))
            #expect(response.text == #"POST /rpc {"jsonrpc":"2.0"}"#)
        }
    }

    @Test func chunkedBodyIsDeliveredWhole() throws {
        let bodies = Box<[[UInt8]]>([])
        try withServer(handler: { request, responder in
            bodies.value.append(request.body)
            responder.send(status: 200, body: Array("\(request.body.count)".utf8))
        }) { harness, _, port in
            let client = try TestClient(port: port)
            try client.send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            try client.send("5\r\nhello\r\n")
            usleep(20_000)
            try client.send("7\r\n, world\r\n")
            try client.send("0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.text == "12")
            #expect(harness.onLoop { bodies.value } == [Array("hello, world".utf8)])
        }
    }

    @Test func keepAliveServesManyRequestsOnOneConnection() throws {
        let connections = Box<Set<Int>>([])
        try withServer(handler: { request, responder in
            connections.value.insert(request.remotePort)
            echoHandler(request, responder)
        }) { harness, server, port in
            let client = try TestClient(port: port)
            for index in 0..<20 {
                let response = try client.exchange(get("/k\(index)"))
                #expect(response.text == "GET /k\(index)")
            }
            #expect(harness.onLoop { connections.value.count } == 1)
            #expect(harness.onLoop { server.openConnections } == 1)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderEvenWhenDeferred() throws {
        let pending = Box<[HTTPResponder]>([])
        let paths = Box<[String]>([])
        let triggerBox = Box<EventTrigger?>(nil)
        try withServer(handler: { request, responder in
            paths.value.append(request.path)
            pending.value.append(responder)
            triggerBox.value?.activate()
        }) { harness, _, port in
            harness.onLoop {
                triggerBox.value = harness.loop.makeTrigger {
                    let batch = pending.value
                    pending.value = []
                    for responder in batch.reversed() {
                        responder.send(status: 200, body: Array("reply".utf8))
                    }
                }
            }
            let client = try TestClient(port: port)
            try client.send(get("/1") + post("/2", body: "two") + get("/3") + "DELETE /4 HTTP/1.1\r\nHost: x\r\n\r\n")
            for _ in 1...4 {
                let response = try client.readResponse()
                #expect(response.status == 200)
            }
            #expect(harness.onLoop { paths.value } == ["/1", "/2", "/3", "/4"])
            harness.onLoop { triggerBox.value = nil }
        }
    }

    @Test func groupCommitTriggerAnswersAllRequestsOfAPass() throws {
        let pending = Box<[HTTPResponder]>([])
        let batches = Box<[Int]>([])
        let triggerBox = Box<EventTrigger?>(nil)
        try withServer(handler: { _, responder in
            pending.value.append(responder)
            triggerBox.value?.activate()
        }) { harness, _, port in
            harness.onLoop {
                triggerBox.value = harness.loop.makeTrigger {
                    batches.value.append(pending.value.count)
                    for responder in pending.value { responder.send(status: 200, body: Array("ok".utf8)) }
                    pending.value = []
                }
            }
            let clients = try (0..<8).map { _ in try TestClient(port: port) }
            for client in clients { try client.send(post("/rpc", body: "{}")) }
            for client in clients { #expect(try client.readResponse().text == "ok") }
            let counts = harness.onLoop { batches.value }
            #expect(counts.reduce(0, +) == 8)
            #expect(!counts.contains(0))
            harness.onLoop { triggerBox.value = nil }
        }
    }

    @Test func secondSendIsIgnoredAndResponderReportsState() throws {
        let states = Box<[Bool]>([])
        try withServer(handler: { _, responder in
            states.value.append(responder.isConnectionOpen)
            responder.send(status: 201, body: Array("first".utf8))
            states.value.append(responder.isConnectionOpen)
            responder.send(status: 500, body: Array("second".utf8))
        }) { harness, _, port in
            let client = try TestClient(port: port)
            let response = try client.exchange(get("/"))
            #expect(response.status == 201)
            #expect(response.text == "first")
            let again = try client.exchange(get("/"))
            #expect(again.status == 201)
            #expect(harness.onLoop { states.value } == [true, false, true, false])
        }
    }

    @Test func responderDroppedWithoutReplyAnswers500() throws {
        try withServer(handler: { _, _ in }) { _, _, port in
            let client = try TestClient(port: port)
            let response = try client.exchange(get("/"))
            #expect(response.status == 500)
            #expect(response.text == #"{"error":"no response"}"#)
        }
    }

    @Test func invalidStatusAndFramingHeadersAreSanitised() throws {
        try withServer(handler: { _, responder in
            responder.send(status: 42, headers: [
                (name: "Content-Length", value: "999"), (name: "Bad", value: "a\r\nInjected: 1"),
                (name: "Folded", value: "a\r\n b"), (name: "Bad Name", value: "v"), (name: "X-Ok", value: "fine"),
            ], body: Array("x".utf8))
        }) { _, _, port in
            let client = try TestClient(port: port)
            let response = try client.exchange(get("/"))
            #expect(response.status == 500)
            #expect(response.header("Content-Length") == "1")
            #expect(response.header("Injected") == nil)
            #expect(response.header("Bad") == nil)
            #expect(response.header("Folded") == nil)
            #expect(response.header("Bad Name") == nil)
            #expect(response.header("X-Ok") == "fine")
            #expect(response.text == "x")
        }
    }

    @Test func connectionCloseHeaderClosesAfterTheReply() throws {
        try withServer(handler: { _, responder in
            responder.send(status: 200, headers: [(name: "Connection", value: "close")], body: Array("bye".utf8))
        }) { _, _, port in
            let client = try TestClient(port: port)
            let response = try client.exchange(get("/"))
            #expect(response.text == "bye")
            #expect(client.waitForClose())
        }
    }

    /// RFC 9112 section 3.2.2: the absolute form is routed by its path (and query).
    @Test(arguments: [
        ("GET http://127.0.0.1/healthz HTTP/1.1", "GET /healthz"),
        ("GET HTTP://example.com HTTP/1.1", "GET /"),
        ("GET https://h:1/a/b?x=1 HTTP/1.1", "GET /a/b?x=1"),
        ("GET http://h?x=1 HTTP/1.1", "GET /?x=1"),
    ])
    func absoluteFormTargetsAreRoutedByTheirPath(requestLine: String, echoed: String) throws {
        try withServer(handler: echoHandler) { _, _, port in
            let client = try TestClient(port: port)
            try client.send("\(requestLine)\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == echoed)
        }
    }

    @Test func http10WithoutKeepAliveIsClosedAfterTheReply() throws {
        try withServer(handler: echoHandler) { _, _, port in
            let client = try TestClient(port: port)
            try client.send("GET /old HTTP/1.0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.text == "GET /old")
            #expect(client.waitForClose())
        }
    }

    @Test func expectContinueIsHonoured() throws {
        try withServer(handler: echoHandler) { _, _, port in
            let client = try TestClient(port: port)
            try client.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
            let interim = try client.readResponse()
            #expect(interim.status == 100)
            try client.send("body")
            let response = try client.readResponse()
            #expect(response.text == "POST /e body")
        }
    }

    @Test func bindErrorNamesTheAddressAndErrno() throws {
        let loop = try EventLoop()
        var configuration = HTTPServer.Configuration()
        configuration.port = 0
        let first = try HTTPServer(loop: loop, configuration: configuration) { _, _ in }
        configuration.port = first.boundPort
        #expect(first.boundPort > 0)
        do {
            _ = try HTTPServer(loop: loop, configuration: configuration) { _, _ in }
            Issue.record("second bind succeeded")
        } catch {
            #expect(error == .bindFailed(host: "127.0.0.1", port: first.boundPort, errno: EADDRINUSE,
                                         message: String(cString: strerror(EADDRINUSE))))
            #expect(error.description.contains("127.0.0.1:\(first.boundPort)"))
            #expect(error.description.contains("Address already in use"))
        }
        first.close()
        #expect(first.isClosed)
    }

    @Test func invalidConfigurationIsRejected() throws {
        let loop = try EventLoop()
        var configuration = HTTPServer.Configuration()
        configuration.port = 70000
        #expect(throws: EventHTTPError.self) { try HTTPServer(loop: loop, configuration: configuration) { _, _ in } }
        configuration.port = 0
        configuration.host = "not an address!"
        do {
            _ = try HTTPServer(loop: loop, configuration: configuration) { _, _ in }
            Issue.record("bad host accepted")
        } catch {
            if case .invalidAddress(let host, _, _) = error { #expect(host == "not an address!") } else {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func closeFromInsideTheHandlerIsDeferredAndSafe() throws {
        let harness = try LoopHarness()
        var configuration = HTTPServer.Configuration()
        configuration.port = 0
        let serverBox = Box<HTTPServer?>(nil)
        let server = try HTTPServer(loop: harness.loop, configuration: configuration) { _, responder in
            responder.send(status: 200, body: Array("closing".utf8))
            serverBox.value?.close()
        }
        serverBox.value = server
        let port = server.boundPort
        harness.start()
        defer { harness.stop() }
        let client = try TestClient(port: port)
        try client.send(get("/"))
        #expect(client.waitForClose())
        #expect(harness.waitUntil { server.isClosed && server.openConnections == 0 })
        #expect(throws: (any Error).self) { _ = try TestClient(port: port).exchange(get("/")) }
        harness.onLoop { serverBox.value = nil }
    }

    @Test func stopAcceptingKeepsExistingConnections() throws {
        try withServer(handler: echoHandler) { harness, server, port in
            let client = try TestClient(port: port)
            #expect(try client.exchange(get("/a")).text == "GET /a")
            harness.onLoop { server.stopAccepting() }
            #expect(try client.exchange(get("/b")).text == "GET /b")
            // The listening socket is still open (backlog) but nobody accepts: no reply.
            let late = try TestClient(port: port, receiveTimeout: 0.3)
            try late.send(get("/c"))
            #expect(throws: (any Error).self) { _ = try late.readResponse() }
        }
    }

    @Test func curlCanTalkToTheServer() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else { return }
        try withServer(handler: echoHandler) { _, _, port in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            process.arguments = ["-sS", "--max-time", "10", "-X", "PATCH", "--data-binary", "abc",
                                 "-H", "Content-Type: application/json", "http://127.0.0.1:\(port)/p?q=1"]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            #expect(String(decoding: output, as: UTF8.self) == "PATCH /p?q=1 abc")
        }
    }
}

extension TestClient {
    /// Reads a response head without consuming a body (for HEAD).
    func readHeadOnly() throws -> TestResponse {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while !(bytes.count >= 4 && bytes.suffix(4) == Array("\r\n\r\n".utf8)) {
            let count = recv(fd, &byte, 1, 0)
            guard count == 1 else { throw TestClientError(description: "EOF in head") }
            bytes.append(byte)
        }
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return TestResponse(status: status, headers: headers, body: [])
    }
}
