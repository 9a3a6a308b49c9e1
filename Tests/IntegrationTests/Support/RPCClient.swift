import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client over a POSIX socket to 127.0.0.1, one request per connection, so the
/// tests depend on nothing but the kernel. Responses are parsed with Foundation's JSONSerialization,
/// independently of quotad's own JSON reader.
struct RPCClient {
    let port: Int

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: Data

        var json: Any? { try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
    }

    /// Sends raw bytes and reads one response.
    func send(raw request: Data) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw HarnessError("connect to 127.0.0.1:\(port): errno \(errno)") }
        try request.withUnsafeBytes { buffer in
            var sent = 0
            while sent < buffer.count {
                let n = Glibc.send(fd, buffer.baseAddress! + sent, buffer.count - sent, Int32(MSG_NOSIGNAL))
                guard n > 0 else { throw HarnessError("send: errno \(errno)") }
                sent += n
            }
        }
        var received = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let response = Self.parse(received) { return response }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 {
                if let response = Self.parse(received, atEOF: true) { return response }
                throw HarnessError("connection closed after \(received.count) bytes")
            }
            received.append(contentsOf: chunk[0..<n])
        }
    }

    /// Parses a complete response, or nil while more bytes are needed.
    static func parse(_ data: Data, atEOF: Bool = false) -> Response? {
        guard let headerEnd = data.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: data[data.startIndex..<headerEnd.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = data[headerEnd.upperBound...]
        if let length = headers["content-length"].flatMap(Int.init) {
            guard body.count >= length else { return nil }
            return Response(status: status, headers: headers, body: Data(body.prefix(length)))
        }
        if status == 204 || status == 304 { return Response(status: status, headers: headers, body: Data()) }
        return atEOF ? Response(status: status, headers: headers, body: Data(body)) : nil
    }

    /// POSTs a body to /rpc.
    func post(_ body: Data, path: String = "/rpc", contentType: String? = "application/json") throws -> Response {
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        return try send(raw: Data((head + "\r\n").utf8) + body)
    }

    /// A request with no body.
    func request(_ method: String, _ path: String) throws -> Response {
        try send(raw: Data("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8))
    }

    /// Calls one method and returns the whole JSON-RPC response object.
    func call(_ method: String, _ params: [String: Any] = [:], id: Int = 1) throws -> [String: Any] {
        let request: [String: Any] = ["jsonrpc": "2.0", "id": id, "method": method, "params": params]
        let response = try post(JSONSerialization.data(withJSONObject: request))
        guard response.status == 200, let object = response.json as? [String: Any] else {
            throw HarnessError("\(method): HTTP \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        }
        return object
    }

    /// Calls one method and returns its result, failing on a JSON-RPC error.
    func result(_ method: String, _ params: [String: Any] = [:]) throws -> [String: Any] {
        let response = try call(method, params)
        guard let result = response["result"] as? [String: Any] else {
            throw HarnessError("\(method) failed: \(response["error"] ?? response)")
        }
        return result
    }

    /// Calls one method and returns its error object, failing when it succeeds.
    func error(_ method: String, _ params: [String: Any] = [:]) throws -> [String: Any] {
        let response = try call(method, params)
        guard let error = response["error"] as? [String: Any] else {
            throw HarnessError("\(method) unexpectedly succeeded: \(response)")
        }
        return error
    }
}
