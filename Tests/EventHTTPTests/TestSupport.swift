import EventHTTP
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs an `EventLoop` on a background thread and executes closures on it.
///
/// Everything touching the loop, its timers and servers goes through `onLoop`, so it
/// runs on the loop thread. A 2 ms poll timer picks jobs up; a watchdog timer stops a
/// loop that outlives `maxSeconds`, so no test can hang forever.
final class LoopHarness: @unchecked Sendable {
    let loop: EventLoop
    private let lock = NSLock()
    private var jobs: [() -> Void] = []
    private var poller: EventTimer?
    private var watchdog: EventTimer?
    private let finished = DispatchSemaphore(value: 0)
    private var started = false
    private(set) var watchdogFired = false

    init() throws {
        loop = try EventLoop()
    }

    /// Starts `run()` on a new thread. Objects made before this call are handed to it.
    func start(maxSeconds: Double = 60) {
        let poller = loop.makeTimer { [unowned self] in
            self.drain()
            self.poller?.schedule(afterSeconds: 0.002)
        }
        poller.schedule(afterSeconds: 0.002)
        self.poller = poller
        let watchdog = loop.makeTimer { [unowned self] in
            self.watchdogFired = true
            self.loop.stop()
        }
        watchdog.schedule(afterSeconds: maxSeconds)
        self.watchdog = watchdog
        started = true
        let thread = Thread { [self] in
            do { try self.loop.run() } catch { print("loop failed: \(error)") }
            self.poller?.cancel()
            self.watchdog?.cancel()
            self.finished.signal()
        }
        thread.stackSize = 1 << 22
        thread.start()
    }

    private func drain() {
        lock.lock()
        let batch = jobs
        jobs = []
        lock.unlock()
        for job in batch { job() }
    }

    /// Queues `body` to run on the loop thread without waiting.
    func async(_ body: @escaping () -> Void) {
        lock.lock()
        jobs.append(body)
        lock.unlock()
    }

    /// Runs `body` on the loop thread and returns its result.
    func onLoop<T>(_ body: @escaping () -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        var result: T?
        async {
            result = body()
            done.signal()
        }
        if done.wait(timeout: .now() + 30) == .timedOut {
            fatalError("loop job timed out")
        }
        return result!
    }

    /// Polls `condition` on the loop thread until it holds or `seconds` pass.
    @discardableResult
    func waitUntil(seconds: Double = 10, _ condition: @escaping () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if onLoop(condition) { return true }
            usleep(5_000)
        }
        return onLoop(condition)
    }

    /// Stops the loop (from a loop job) and waits for `run()` to return.
    func stop() {
        guard started else { return }
        async { self.loop.stop() }
        _ = finished.wait(timeout: .now() + 30)
        started = false
    }

    /// Waits for `run()` to return on its own (for tests that stop from a callback).
    func waitForExit(seconds: Double = 30) -> Bool {
        guard started else { return true }
        let ok = finished.wait(timeout: .now() + seconds) == .success
        if ok { started = false }
        return ok
    }
}

/// Mutable state shared between a handler (loop thread) and the test, only touched on
/// the loop thread (the test reads it through `onLoop`).
final class Box<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// Starts a server on 127.0.0.1 with an ephemeral port, runs `body`, then closes the
/// server and stops the loop.
func withServer(
    configure: (inout HTTPServer.Configuration) -> Void = { _ in },
    handler: @escaping (HTTPRequest, HTTPResponder) -> Void,
    _ body: (LoopHarness, HTTPServer, Int) throws -> Void
) throws {
    let harness = try LoopHarness()
    var configuration = HTTPServer.Configuration()
    configuration.host = "127.0.0.1"
    configuration.port = 0
    configure(&configuration)
    let server = try HTTPServer(loop: harness.loop, configuration: configuration, handler: handler)
    let port = server.boundPort
    harness.start()
    defer {
        harness.onLoop { server.close() }
        harness.stop()
    }
    try body(harness, server, port)
}

/// A parsed HTTP response.
struct TestResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

struct TestClientError: Error, CustomStringConvertible {
    var description: String
}

/// A blocking loopback TCP client with a receive timeout, speaking raw bytes.
final class TestClient {
    private(set) var fd: Int32
    private var pending: [UInt8] = []

    init(port: Int, receiveTimeout: Double = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError(description: "socket: \(errno)") }
        var timeout = timeval(tv_sec: Int(receiveTimeout), tv_usec: Int((receiveTimeout - receiveTimeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            let code = errno
            Glibc.close(fd)
            // deinit runs for an initializer that throws after every property is set; without this
            // it would close the same number again, by then maybe another test's listening socket.
            fd = -1
            throw TestClientError(description: "connect: \(code)")
        }
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Makes `close()` send a RST instead of a FIN.
    func closeWithReset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw TestClientError(description: "send: errno \(errno)")
            }
            offset += sent
        }
    }

    /// Reads more bytes; returns false on EOF. Throws on timeout or error.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                pending += chunk[0..<count]
                return true
            }
            if count == 0 { return false }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw TestClientError(description: "receive timed out") }
            throw TestClientError(description: "recv: errno \(errno)")
        }
    }

    /// Reads one response (status line, headers, `Content-Length` body, or to EOF).
    func readResponse() throws -> TestResponse {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while true {
            if let range = firstRange(of: separator, in: pending) { headEnd = range; break }
            guard try fill() else { throw TestClientError(description: "EOF before a response head (\(pending.count) bytes)") }
        }
        let head = String(decoding: pending[0..<headEnd!], as: UTF8.self)
        pending.removeFirst(headEnd! + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else {
            throw TestClientError(description: "bad status line \(statusLine)")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = TestResponse(status: status, headers: headers, body: [])
        if status == 100 || status == 204 || status == 304 { return response }
        if let lengthText = response.header("Content-Length"), let length = Int(lengthText) {
            while pending.count < length {
                guard try fill() else { throw TestClientError(description: "EOF inside a body") }
            }
            response.body = Array(pending[0..<length])
            pending.removeFirst(length)
        } else {
            while try fill() {}
            response.body = pending
            pending = []
        }
        return response
    }

    /// Reads and discards until the server closes; true on EOF or reset, false on timeout.
    func waitForClose() -> Bool {
        while true {
            do {
                if try !fill() { return true }
            } catch let error as TestClientError {
                return !error.description.contains("timed out")
            } catch {
                return true
            }
        }
    }

    /// One request, one response.
    func exchange(_ request: String) throws -> TestResponse {
        try send(request)
        return try readResponse()
    }
}

func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    for index in 0...(haystack.count - needle.count) where haystack[index..<(index + needle.count)].elementsEqual(needle) {
        return index
    }
    return nil
}

func get(_ path: String, headers: String = "") -> String {
    "GET \(path) HTTP/1.1\r\nHost: localhost\r\n\(headers)\r\n"
}

func post(_ path: String, body: String, headers: String = "") -> String {
    "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.utf8.count)\r\n\(headers)\r\n\(body)"
}

/// Replies 200 with the request summarised as `METHOD path?query body`.
func echoHandler(_ request: HTTPRequest, _ responder: HTTPResponder) {
    var text = "\(request.method) \(request.path)"
    if let query = request.query { text += "?\(query)" }
    if !request.body.isEmpty { text += " " + String(decoding: request.body, as: UTF8.self) }
    responder.send(status: 200, headers: [(name: "Content-Type", value: "text/plain")], body: Array(text.utf8))
}
