import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One raw TCP connection to quotad on 127.0.0.1 that stays open: keep-alive requests, pipelined
/// requests, raw or partial bytes, and observing how the server ends the connection. Every wait is
/// bounded by a deadline (poll), so a server that never answers fails the test instead of hanging it.
final class KeepAliveConnection {
    let port: Int
    private(set) var fd: Int32
    /// Bytes received but not yet consumed as a response (pipelined answers arrive back to back).
    private var buffer: [UInt8] = []
    /// Seconds each read may wait for the server.
    var timeout: Double

    /// How the server ended (or did not end) a connection.
    enum Ending: Equatable, CustomStringConvertible {
        /// An orderly close (FIN) with no further bytes.
        case closed
        /// A reset (ECONNRESET) or other receive error.
        case reset(Int32)
        /// Still open when the wait ended.
        case open
        /// The server sent bytes (e.g. a response) before or instead of closing.
        case data([UInt8])

        var description: String {
            switch self {
            case .closed: return "closed"
            case .reset(let code): return "reset(errno \(code))"
            case .open: return "still open"
            case .data(let bytes): return "data(\(String(decoding: bytes.prefix(200), as: UTF8.self)))"
            }
        }
    }

    /// Connects to 127.0.0.1:port.
    init(port: Int, timeout: Double = 30) throws {
        self.port = port
        self.timeout = timeout
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            Glibc.close(fd)
            fd = -1
            throw HarnessError("connect to 127.0.0.1:\(port): errno \(code)")
        }
    }

    deinit { close() }

    /// Closes the socket (orderly, FIN).
    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Closes with a reset (SO_LINGER 0): no FIN handshake, no TIME_WAIT left behind.
    func abort() {
        guard fd >= 0 else { return }
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    /// Half-closes the sending side (the server reads EOF after what was sent).
    func shutdownWrite() { if fd >= 0 { shutdown(fd, Int32(SHUT_WR)) } }

    // MARK: Sending

    /// Sends all bytes, failing on any error.
    func write(_ data: Data) throws {
        let sent = writeSome(data)
        if let code = sent.error { throw HarnessError("send after \(sent.count) of \(data.count) bytes: errno \(code)") }
    }

    func write(_ text: String) throws { try write(Data(text.utf8)) }

    /// Sends as much as the server takes; stops at the first error (EPIPE, ECONNRESET) and reports it.
    /// Waits at most `timeout` seconds for room in the socket buffer.
    @discardableResult
    func writeSome(_ data: Data) -> (count: Int, error: Int32?) {
        guard fd >= 0 else { return (0, EBADF) }
        let deadline = Date().addingTimeInterval(timeout)
        return data.withUnsafeBytes { raw -> (Int, Int32?) in
            guard let base = raw.baseAddress else { return (0, nil) }
            var sent = 0
            while sent < raw.count {
                var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let remaining = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
                if poll(&poller, 1, remaining) <= 0 { return (sent, ETIMEDOUT) }
                let n = Glibc.send(fd, base + sent, raw.count - sent, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                if n < 0 {
                    if errno == EAGAIN || errno == EINTR { continue }
                    return (sent, errno)
                }
                sent += n
            }
            return (sent, nil)
        }
    }

    // MARK: Requests

    /// The bytes of a POST /rpc request that keeps the connection open.
    static func postBytes(_ body: Data, path: String = "/rpc", contentType: String? = "application/json",
                          close: Bool = false, extraHeaders: String = "") -> Data {
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        if close { head += "Connection: close\r\n" }
        head += extraHeaders
        return Data((head + "\r\n").utf8) + body
    }

    /// POSTs a body on this connection and reads its response.
    func post(_ body: Data, contentType: String? = "application/json") throws -> RPCClient.Response {
        try write(Self.postBytes(body, contentType: contentType))
        return try readResponse()
    }

    func post(_ text: String) throws -> RPCClient.Response { try post(Data(text.utf8)) }

    // MARK: Receiving

    /// Receives once, waiting until `deadline`. Returns the byte count, 0 at EOF, nil on timeout;
    /// throws on a receive error.
    private func receive(until deadline: Date) throws -> Int? {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
            let ready = poll(&poller, 1, remaining)
            if ready == 0 { return nil }
            if ready < 0 { if errno == EINTR { continue }; throw HarnessError("poll: errno \(errno)") }
            let n = recv(fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw ReceiveError(code: errno)
            }
            buffer.append(contentsOf: chunk[0..<n])
            return n
        }
    }

    struct ReceiveError: Error, CustomStringConvertible {
        let code: Int32
        var description: String { "recv: errno \(code)\(code == ECONNRESET ? " (connection reset)" : "")" }
    }

    /// Reads the next complete response (pipelined answers are returned one per call, in order).
    /// - Parameter headRequest: the request was HEAD, so the response has no body whatever its Content-Length.
    func readResponse(headRequest: Bool = false) throws -> RPCClient.Response {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let (response, used) = Self.parseResponse(buffer, atEOF: false, headRequest: headRequest) {
                buffer.removeFirst(used)
                return response
            }
            guard let n = try receive(until: deadline) else {
                throw HarnessError("no complete response within \(timeout) s (have \(buffer.count) bytes: \(String(decoding: buffer.prefix(300), as: UTF8.self)))")
            }
            if n == 0 {
                if let (response, used) = Self.parseResponse(buffer, atEOF: true, headRequest: headRequest) {
                    buffer.removeFirst(used)
                    return response
                }
                throw HarnessError("connection closed after \(buffer.count) unparsed bytes: \(String(decoding: buffer.prefix(300), as: UTF8.self))")
            }
        }
    }

    /// Waits up to `seconds` for the server to end the connection, without sending anything.
    func waitForEnd(seconds: Double) -> Ending {
        let deadline = Date().addingTimeInterval(seconds)
        let before = buffer.count
        do {
            while true {
                guard let n = try receive(until: deadline) else {
                    return buffer.count > before ? .data(Array(buffer[before...])) : .open
                }
                if n == 0 { return buffer.count > before ? .data(Array(buffer[before...])) : .closed }
            }
        } catch let error as ReceiveError {
            return buffer.count > before ? .data(Array(buffer[before...])) : .reset(error.code)
        } catch {
            return .reset(-1)
        }
    }

    /// Parses one response at the start of `bytes`: the response and how many bytes it used,
    /// or nil while more are needed. Handles Content-Length, chunked bodies, and bodiless statuses.
    static func parseResponse(_ bytes: [UInt8], atEOF: Bool, headRequest: Bool = false) -> (RPCClient.Response, Int)? {
        guard let headEnd = find([13, 10, 13, 10], in: bytes, from: 0) else { return nil }
        let head = String(decoding: bytes[0..<headEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        let bodyStart = headEnd + 4
        if headRequest || status == 204 || status == 304 || (100..<200).contains(status) {
            return (RPCClient.Response(status: status, headers: headers, body: Data()), bodyStart)
        }
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            var position = bodyStart
            var body = Data()
            while true {
                guard let lineEnd = find([13, 10], in: bytes, from: position) else { return nil }
                let sizeText = String(decoding: bytes[position..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
                position = lineEnd + 2
                if size == 0 {
                    guard let end = find([13, 10], in: bytes, from: position) else { return nil }
                    return (RPCClient.Response(status: status, headers: headers, body: body), end + 2)
                }
                guard bytes.count >= position + size + 2 else { return nil }
                body.append(contentsOf: bytes[position..<(position + size)])
                position += size + 2
            }
        }
        if let length = headers["content-length"].flatMap({ Int($0) }) {
            guard bytes.count >= bodyStart + length else { return nil }
            return (RPCClient.Response(status: status, headers: headers, body: Data(bytes[bodyStart..<(bodyStart + length)])), bodyStart + length)
        }
        guard atEOF else { return nil }
        return (RPCClient.Response(status: status, headers: headers, body: Data(bytes[bodyStart...])), bytes.count)
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        var index = start
        outer: while index + needle.count <= bytes.count {
            for offset in 0..<needle.count where bytes[index + offset] != needle[offset] {
                index += 1
                continue outer
            }
            return index
        }
        return nil
    }
}

extension RPCClient.Response {
    /// The body as text, for checks on the exact bytes (e.g. ids echoed digit for digit).
    var text: String { String(decoding: body, as: UTF8.self) }
}
