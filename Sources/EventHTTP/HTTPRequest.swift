internal import CLibevent

/// One complete HTTP request as read by evhttp: head and whole body (chunked bodies
/// are de-chunked), copied out of libevent so it can be kept and sent across threads.
public struct HTTPRequest: Sendable {
    /// The method token: `"GET"`, `"POST"`, `"HEAD"`, `"PUT"`, `"DELETE"`,
    /// `"OPTIONS"`, `"TRACE"`, `"CONNECT"` or `"PATCH"`. (evhttp 2.1 rejects any other
    /// method itself with a `501` JSON error.)
    public var method: String
    /// The request target up to (not including) the first `?`, exactly as sent: not
    /// percent-decoded, not normalised.
    public var path: String
    /// The text after the first `?` of the request target, raw; `nil` when there is no `?`.
    public var query: String?
    /// Header fields in arrival order, names as sent, values trimmed of surrounding
    /// blanks (evhttp joins obs-folded continuation lines).
    public var headers: [(name: String, value: String)]
    /// The request body (empty if none).
    public var body: [UInt8]
    /// The peer's numeric address as text (`"127.0.0.1"`), from evhttp.
    public var remoteHost: String
    /// The peer's TCP port.
    public var remotePort: Int
    /// Over TLS with a verified client certificate: its subject CN and DNS SANs; else empty.
    public var peerCertificateNames: [String] = []

    /// Creates a request value (for tests and callers that build requests themselves).
    ///
    /// - Parameters:
    ///   - method: The method token.
    ///   - path: The target before `?`.
    ///   - query: The target after `?`, if any.
    ///   - headers: Header fields in order.
    ///   - body: The body bytes.
    ///   - remoteHost: Peer address text.
    ///   - remotePort: Peer port.
    public init(
        method: String, path: String, query: String? = nil,
        headers: [(name: String, value: String)] = [], body: [UInt8] = [],
        remoteHost: String = "", remotePort: Int = 0
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.remoteHost = remoteHost
        self.remotePort = remotePort
    }

    /// The value of the first header field called `name`, compared ASCII
    /// case-insensitively.
    ///
    /// - Parameter name: Field name, any case.
    /// - Returns: The first matching value, or `nil`.
    public func header(_ name: String) -> String? {
        for field in headers where asciiCaseInsensitiveEquals(field.name, name) {
            return field.value
        }
        return nil
    }

    /// All values of header fields called `name` (ASCII case-insensitive), in order.
    ///
    /// - Parameter name: Field name, any case.
    /// - Returns: The matching values; empty when there is none.
    public func headerValues(_ name: String) -> [String] {
        headers.filter { asciiCaseInsensitiveEquals($0.name, name) }.map(\.value)
    }
}

extension HTTPRequest {
    /// Copies an evhttp request (`evhttp_request_get_command`, `_get_uri`,
    /// `_get_input_headers`, `_get_input_buffer`) into a value.
    init(copying request: UnsafeMutablePointer<evhttp_request>) {
        let method = HTTPRequest.methodName(evhttp_request_get_command(request))
        var target = evhttp_request_get_uri(request).map { String(cString: $0) } ?? "/"
        // The absolute form (`GET http://host/path`), which a server must accept (RFC 9112
        // section 3.2.2): route by its path.
        // (The origin form, `/path`, is nearly every request: it skips the lowercasing.)
        for scheme in ["http://", "https://"] where target.utf8.first != UInt8(ascii: "/") && target.lowercased().hasPrefix(scheme) {
            let rest = target.dropFirst(scheme.count)
            target = rest.firstIndex(where: { $0 == "/" || $0 == "?" }).map { rest[$0...].hasPrefix("?") ? "/" + rest[$0...] : String(rest[$0...]) } ?? "/"
        }
        let path: String
        let query: String?
        if let mark = target.firstIndex(of: "?") {
            path = String(target[..<mark])
            query = String(target[target.index(after: mark)...])
        } else {
            path = target
            query = nil
        }
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(8)
        if let list = evhttp_request_get_input_headers(request) {
            var entry = list.pointee.tqh_first
            while let field = entry {
                let name = field.pointee.key.map { String(cString: $0) } ?? ""
                let value = field.pointee.value.map { String(cString: $0) } ?? ""
                headers.append((name: name, value: value))
                entry = field.pointee.next.tqe_next
            }
        }
        var body: [UInt8] = []
        if let buffer = evhttp_request_get_input_buffer(request) {
            let count = evbuffer_get_length(buffer)
            if count > 0 {
                body = [UInt8](unsafeUninitializedCapacity: count) { storage, initialized in
                    let copied = evbuffer_copyout(buffer, storage.baseAddress, count)
                    initialized = max(0, copied)
                }
            }
        }
        let remoteHost = request.pointee.remote_host.map { String(cString: $0) } ?? ""
        self.init(
            method: method, path: path, query: query, headers: headers, body: body,
            remoteHost: remoteHost, remotePort: Int(request.pointee.remote_port))
    }

    static func methodName(_ command: evhttp_cmd_type) -> String {
        switch command {
        case EVHTTP_REQ_GET: return "GET"
        case EVHTTP_REQ_POST: return "POST"
        case EVHTTP_REQ_HEAD: return "HEAD"
        case EVHTTP_REQ_PUT: return "PUT"
        case EVHTTP_REQ_DELETE: return "DELETE"
        case EVHTTP_REQ_OPTIONS: return "OPTIONS"
        case EVHTTP_REQ_TRACE: return "TRACE"
        case EVHTTP_REQ_CONNECT: return "CONNECT"
        case EVHTTP_REQ_PATCH: return "PATCH"
        default: return "UNKNOWN"
        }
    }
}

/// ASCII case-insensitive string equality (header names are ASCII tokens).
func asciiCaseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
    let x = a.utf8, y = b.utf8
    guard x.count == y.count else { return false }
    for (p, q) in zip(x, y) where asciiLower(p) != asciiLower(q) {
        return false
    }
    return true
}

@inline(__always) func asciiLower(_ byte: UInt8) -> UInt8 {
    (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
}
