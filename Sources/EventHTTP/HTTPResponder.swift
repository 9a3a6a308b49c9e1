internal import CLibevent

/// The reply side of one request. Handed to the request handler together with the
/// ``HTTPRequest``; keep it as long as needed and call ``send(status:headers:body:)``
/// exactly once, now or later.
///
/// Deferred replies are the normal case (the server replies after its group commit).
/// Loop thread only.
///
/// ## Lifetime and libevent 2.1
/// The responder holds the `struct evhttp_request *` until it sends. evhttp stops
/// reading a connection while its request awaits a reply, so a client that leaves is
/// usually noticed only when the reply is written; evhttp then frees the request and
/// the connection itself. If evhttp does notice the client leaving first (EOF or
/// timeout while it was still writing, e.g. a `100 Continue`), it detaches the request
/// from the connection (`req->evcon = NULL`) and the later `evhttp_send_reply` just
/// frees it. If the server is closed first, its connections and their requests are
/// freed and the responder is invalidated; a later `send` is ignored. Either way a
/// late `send` is safe. A responder deallocated without sending replies `500` with
/// `{"error":"no response"}` so neither the client nor the request leaks.
public final class HTTPResponder {
    /// The evhttp request until it is sent, detached-and-freed, or invalidated.
    private var request: UnsafeMutablePointer<evhttp_request>?
    private weak var server: HTTPServer?
    private let method: HTTPRequestMethodKind
    /// True once `send` was called or the responder was invalidated.
    public private(set) var hasSent = false

    init(request: UnsafeMutablePointer<evhttp_request>, server: HTTPServer, method: String) {
        self.request = request
        self.server = server
        self.method = method == "HEAD" ? .head : method == "CONNECT" ? .connect : .other
    }

    deinit {
        if request != nil {
            send(status: 500, headers: [(name: "Content-Type", value: "application/json")],
                 body: Array(#"{"error":"no response"}"#.utf8))
        }
    }

    /// True while a reply can still reach the client: not sent yet, the server is open,
    /// and evhttp has not detached the request from its connection. A hint only: see the
    /// type's discussion for why a departed client is often noticed only at send time.
    public var isConnectionOpen: Bool {
        guard let request, server != nil else { return false }
        return evhttp_request_get_connection(request) != nil
    }

    /// Sends the reply (`evhttp_send_reply`). Exactly once: later calls are ignored.
    ///
    /// evhttp adds `Content-Length` (and `Date` for HTTP/1.1), keeps the connection
    /// alive unless the request or `headers` say `Connection: close` (or the client
    /// speaks HTTP/1.0 without keep-alive), and only then reads the next pipelined
    /// request on that connection.
    ///
    /// - Parameters:
    ///   - status: 200...599; anything else is sent as `500`. The reason phrase is the
    ///     standard one for the code.
    ///   - headers: Extra header fields, in order. `Content-Length` and
    ///     `Transfer-Encoding` are ignored (the transport frames the body); fields whose
    ///     name is not an RFC 9110 token or whose value contains CR, LF or NUL are
    ///     dropped (evhttp itself would let an obs-fold `"\r\n "` through).
    ///     No `Content-Type` is added for you.
    ///   - body: The body. Not sent for `204` and `304`, nor for a `2xx` reply to
    ///     `CONNECT` (RFC 9110 §9.3.6: no framing headers there); for a `HEAD` request
    ///     only its length is sent, as `Content-Length`.
    public func send(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8]) {
        guard let request else { return }
        self.request = nil
        hasSent = true
        let code = (200...599).contains(status) ? status : 500
        let successfulConnect = method == .connect && (200...299).contains(code)
        let bodyAllowed = code != 204 && code != 304 && !successfulConnect
        // evhttp 2.1 adds Content-Length itself except for HEAD and CONNECT requests
        // (evhttp_response_needs_body), yet would still write a body for them.
        let explicitLength = bodyAllowed && (method == .head || method == .connect)
        let writesBody = bodyAllowed && method != .head && !body.isEmpty
        if let fields = evhttp_request_get_output_headers(request) {
            for field in headers {
                if asciiCaseInsensitiveEquals(field.name, "Content-Length")
                    || asciiCaseInsensitiveEquals(field.name, "Transfer-Encoding")
                    || !isValidFieldName(field.name) || !isValidFieldValue(field.value) {
                    continue
                }
                _ = evhttp_add_header(fields, field.name, field.value)
            }
            if explicitLength {
                _ = evhttp_add_header(fields, "Content-Length", String(body.count))
            }
        }
        let buffer = evbuffer_new()
        if let buffer, writesBody {
            body.withUnsafeBytes { bytes in
                _ = evbuffer_add(buffer, bytes.baseAddress, bytes.count)
            }
        }
        let server = self.server
        server?.willSendUserReply()
        HTTPStatus.reasonPhrase(for: code).withCString { reason in
            evhttp_send_reply(request, Int32(code), reason, buffer)
        }
        server?.didSendUserReply()
        if let buffer { evbuffer_free(buffer) }
    }

    /// Called by the server when evhttp is about to free the request (server close):
    /// forget it so that a later `send` does nothing.
    func invalidate() {
        request = nil
        hasSent = true
    }

    /// The evhttp request, if still held (for the server's bookkeeping).
    var pendingRequest: UnsafeMutablePointer<evhttp_request>? { request }
}

/// RFC 9110 `token`: one or more tchar.
func isValidFieldName(_ name: String) -> Bool {
    !name.isEmpty && name.utf8.allSatisfy { byte in
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

/// No CR, LF or NUL (no header injection, no obs-fold, no C-string truncation).
func isValidFieldValue(_ value: String) -> Bool {
    !value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
}

/// What `send` must know about the request method.
enum HTTPRequestMethodKind { case head, connect, other }

/// Standard reason phrases (RFC 9110 and friends).
enum HTTPStatus {
    static func reasonPhrase(for code: Int) -> String {
        switch code {
        case 100: return "Continue"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 203: return "Non-Authoritative Information"
        case 204: return "No Content"
        case 205: return "Reset Content"
        case 206: return "Partial Content"
        case 300: return "Multiple Choices"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 402: return "Payment Required"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 411: return "Length Required"
        case 412: return "Precondition Failed"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 416: return "Range Not Satisfiable"
        case 417: return "Expectation Failed"
        case 421: return "Misdirected Request"
        case 422: return "Unprocessable Content"
        case 425: return "Too Early"
        case 426: return "Upgrade Required"
        case 428: return "Precondition Required"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default:
            switch code / 100 {
            case 1: return "Informational"
            case 2: return "Success"
            case 3: return "Redirection"
            case 4: return "Client Error"
            default: return "Server Error"
            }
        }
    }
}
