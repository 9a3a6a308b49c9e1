internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An HTTP/1.1 server on an ``EventLoop``: libevent's `evhttp` with a generic callback
/// (`evhttp_set_gencb`) that hands every request to one handler, plus the hardening
/// libevent 2.1 lacks (connection cap, JSON error bodies, strict framing checks).
///
/// Loop thread only; see ``EventLoop`` for the threading model. Nothing takes a lock.
///
/// ## What the transport does before the handler sees a request
/// - All nine methods evhttp knows (GET, POST, HEAD, PUT, DELETE, OPTIONS, TRACE,
///   CONNECT, PATCH) reach the handler (`evhttp_set_allowed_methods`); routing and
///   404/405/415 are the caller's job. Unknown methods get `501`.
/// - Keep-alive; pipelined requests on one connection are read one at a time and
///   answered in order (evhttp reads the next request only after the previous reply
///   has been written).
/// - Chunked request bodies are de-chunked and delivered whole.
/// - `Content-Length` above ``Configuration/maxBodyBytes`` → `413`, after reading and
///   discarding the announced body (`EVHTTP_SERVER_LINGERING_CLOSE`) so the client
///   reads the reply instead of a reset. An over-long chunked body → `413` at once.
/// - Head above ``Configuration/maxHeaderBytes`` → `431`.
/// - A duplicate `Content-Length`, a non-numeric one, a duplicate `Transfer-Encoding`,
///   a `Transfer-Encoding` other than `chunked`, both headers together, or whitespace
///   in a field name → `400` as soon as the offending header line arrives (no hang).
/// - Every error the transport writes is `Content-Type: application/json` with a
///   body `{"error":"…"}` and closes the connection.
/// - A client silent for ``Configuration/idleTimeoutSeconds`` while sending a request
///   or between keep-alive requests is disconnected; a request head must also be
///   complete within that many seconds of its first byte (so a client trickling header
///   lines cannot hold a connection forever).
/// - At most ``Configuration/maxConnections`` connections; past the cap a new client
///   gets `503` and is closed.
///
/// ## libevent 2.1 specifics
/// - 2.1.12 has no `evhttp_set_newreqcb` and no connection limit. Connections are
///   counted with `evhttp_set_bevcb` (called once per accepted socket, before evhttp
///   builds the connection) and `evhttp_connection_set_closecb`; the close callback is
///   installed by a plain event activated from the bevcb, which runs later in the same
///   loop pass, before the new socket can be polled. At the cap, evhttp's
///   `evconnlistener` is disabled and a second listener on the same socket, which
///   answers `503`, is enabled; below the cap they swap back.
/// - evhttp disables reading while a request waits for its reply, so a departed client
///   is noticed when the reply is written (see ``HTTPResponder``).
/// - The JSON error bodies and framing checks work through `evbuffer_add_cb` hooks on
///   each connection's buffers (see `HTTPConnection`); they rely on evhttp 2.1's
///   error page format (`evhttp_send_error`).
public final class HTTPServer {
    /// The configuration the server was started with.
    public let configuration: Configuration
    let loop: EventLoop
    private let handler: (HTTPRequest, HTTPResponder) -> Void

    /// `struct evhttp *`; nil once closed.
    private var http: OpaquePointer?
    /// The evconnlistener evhttp accepts on (owned by evhttp's bound socket).
    private var listener: OpaquePointer?
    /// Our own listener on the same fd, enabled instead of `listener` while at the cap.
    private var rejectListener: OpaquePointer?
    /// Plain event: finishes connection set-up after evhttp created the connection.
    private var setupEvent: OpaquePointer?
    /// Plain event: a close() requested from inside the handler.
    private var closeEvent: OpaquePointer?

    private enum State { case accepting, atCapacity, notAccepting, closed }
    private var state = State.notAccepting
    private var closeRequested = false
    private var handlerDepth = 0
    private var userSendDepth = 0

    /// Live connections by their bufferevent (from `evhttp_set_bevcb` until the
    /// connection's close callback). The dictionary owns the connection objects.
    private var connections: [OpaquePointer: HTTPConnection] = [:]
    /// Connections created by evhttp in this pass whose close callback is not set yet.
    private var pendingSetup: [HTTPConnection] = []
    /// Sockets rejected at the cap, drained briefly before closing.
    private var lingering: [Int32: LingeringSocket] = [:]

    /// The TCP port actually bound (useful with port `0`).
    public private(set) var boundPort: Int = 0
    /// Client connections currently open (accepted and not yet closed by evhttp).
    public private(set) var openConnections: Int = 0

    /// Binds `configuration.host:configuration.port` and starts accepting on `loop`.
    ///
    /// Wraps `evhttp_new`, `evhttp_set_allowed_methods`, `evhttp_set_max_body_size`,
    /// `evhttp_set_max_headers_size`, `evhttp_set_timeout`, `evhttp_set_flags`
    /// (`EVHTTP_SERVER_LINGERING_CLOSE`), `evhttp_set_default_content_type(NULL)` (no
    /// `Content-Type` is invented for replies), `evhttp_set_gencb`, `evhttp_set_bevcb`
    /// and `evhttp_bind_listener` over a socket this initializer binds itself (so
    /// errors carry the real `errno`). `SO_REUSEADDR` is set.
    ///
    /// - Parameters:
    ///   - loop: The loop that will run the server.
    ///   - configuration: Address and limits.
    ///   - handler: Called on the loop thread once per complete request. Reply through
    ///     the ``HTTPResponder``, now or later.
    /// - Throws: ``EventHTTPError/invalidConfiguration(_:)`` for out-of-range values,
    ///   ``EventHTTPError/invalidAddress(host:port:reason:)`` when the host does not
    ///   resolve, ``EventHTTPError/bindFailed(host:port:errno:message:)`` naming
    ///   `host:port` and the errno text (e.g. "Address already in use"),
    ///   ``EventHTTPError/setupFailed(_:)`` when libevent cannot allocate.
    public init(
        loop: EventLoop, configuration: Configuration,
        handler: @escaping (HTTPRequest, HTTPResponder) -> Void
    ) throws(EventHTTPError) {
        self.loop = loop
        self.configuration = configuration
        self.handler = handler

        guard (0...65535).contains(configuration.port) else {
            throw .invalidConfiguration("port \(configuration.port) is not in 0...65535")
        }
        guard configuration.maxBodyBytes >= 0 else {
            throw .invalidConfiguration("maxBodyBytes must not be negative")
        }
        guard configuration.maxHeaderBytes > 0 else {
            throw .invalidConfiguration("maxHeaderBytes must be positive")
        }

        let fd = try HTTPServer.makeListeningSocket(host: configuration.host, port: configuration.port)
        boundPort = HTTPServer.localPort(of: fd) ?? configuration.port

        guard let http = evhttp_new(loop.base) else {
            _ = Glibc.close(fd)
            throw .setupFailed("evhttp_new")
        }
        self.http = http
        let allMethods = [
            EVHTTP_REQ_GET, EVHTTP_REQ_POST, EVHTTP_REQ_HEAD, EVHTTP_REQ_PUT, EVHTTP_REQ_DELETE,
            EVHTTP_REQ_OPTIONS, EVHTTP_REQ_TRACE, EVHTTP_REQ_CONNECT, EVHTTP_REQ_PATCH,
        ].reduce(UInt32(0)) { $0 | $1.rawValue }
        evhttp_set_allowed_methods(http, UInt16(allMethods))
        evhttp_set_max_body_size(http, configuration.maxBodyBytes)
        evhttp_set_max_headers_size(http, configuration.maxHeaderBytes)
        if configuration.idleTimeoutSeconds > 0 {
            evhttp_set_timeout(http, Int32(clamping: configuration.idleTimeoutSeconds))
        }
        _ = evhttp_set_flags(http, EVHTTP_SERVER_LINGERING_CLOSE)
        evhttp_set_default_content_type(http, nil)

        let context = Unmanaged.passUnretained(self).toOpaque()
        evhttp_set_gencb(http, httpServerRequestCallback, context)
        evhttp_set_bevcb(http, httpServerBuffereventCallback, context)

        guard let setupEvent = event_new(loop.base, -1, 0, httpServerSetupCallback, context),
              let closeEvent = event_new(loop.base, -1, 0, httpServerCloseCallback, context)
        else {
            _ = Glibc.close(fd)
            throw .setupFailed("event_new")
        }
        self.setupEvent = setupEvent
        self.closeEvent = closeEvent

        let flags = UInt32(LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_DISABLED)
        guard let listener = evconnlistener_new(loop.base, nil, nil, flags | UInt32(LEV_OPT_CLOSE_ON_FREE), 0, fd) else {
            _ = Glibc.close(fd)
            throw .setupFailed("evconnlistener_new")
        }
        guard evhttp_bind_listener(http, listener) != nil else {
            evconnlistener_free(listener)  // closes fd
            throw .setupFailed("evhttp_bind_listener")
        }
        self.listener = listener
        guard let rejectListener = evconnlistener_new(loop.base, httpServerRejectCallback, context, flags, 0, fd) else {
            throw .setupFailed("evconnlistener_new")
        }
        self.rejectListener = rejectListener
        state = .accepting
        _ = evconnlistener_enable(listener)
    }

    deinit {
        performClose()
    }

    /// Stops accepting new connections (both listeners disabled); open connections keep
    /// being served, including new requests on keep-alive connections. Irreversible;
    /// ``close()`` later to drop everything. Use for a graceful stop: stop accepting,
    /// finish in-flight work (reply with `Connection: close`), then close.
    public func stopAccepting() {
        guard state == .accepting || state == .atCapacity else { return }
        state = .notAccepting
        if let listener { _ = evconnlistener_disable(listener) }
        if let rejectListener { _ = evconnlistener_disable(rejectListener) }
    }

    /// Closes the listening socket and every connection (`evhttp_free`).
    ///
    /// Requests still waiting for a deferred reply are dropped with their connection;
    /// their responders are invalidated, so a later ``HTTPResponder/send(status:headers:body:)``
    /// is ignored. Called from inside the request handler, the `evhttp_free` is deferred
    /// to the end of the current loop pass (libevent must not free a connection while
    /// it is dispatching on it); accepting stops at once either way. Idempotent.
    public func close() {
        guard state != .closed, !closeRequested else { return }
        stopAccepting()
        if handlerDepth > 0, let closeEvent {
            closeRequested = true
            event_active(closeEvent, Int32(EV_TIMEOUT), 0)
            return
        }
        performClose()
    }

    /// True once ``close()`` has taken effect.
    public var isClosed: Bool { state == .closed }

    /// Bytes of replies queued on open connections and not yet written to their sockets: what a
    /// graceful stop waits for before ``close()``.
    public var pendingOutputBytes: Int {
        connections.keys.reduce(0) { sum, bufferevent in
            sum + (bufferevent_get_output(bufferevent).map { evbuffer_get_length($0) } ?? 0)
        }
    }

    private func performClose() {
        guard state != .closed else { return }
        state = .closed
        if let rejectListener { evconnlistener_free(rejectListener) }
        rejectListener = nil
        for socket in lingering.values { socket.finish() }
        lingering = [:]
        if let http {
            // Frees the bound listener (closing the fd) and every connection; each
            // connection whose set-up finished reports through its close callback.
            evhttp_free(http)
        }
        http = nil
        listener = nil
        for connection in pendingSetup {
            connection.uninstall()
            connections[connection.bufferevent] = nil
            bufferevent_decref(connection.bufferevent)
        }
        pendingSetup = []
        // Every set-up connection reported through its close callback; anything left
        // had its bufferevent freed by evhttp already, so only drop our own timer.
        for connection in connections.values {
            connection.cancelHeadTimer(free: true)
        }
        connections = [:]
        openConnections = 0
        if let setupEvent { event_free(setupEvent) }
        setupEvent = nil
        if let closeEvent { event_free(closeEvent) }
        closeEvent = nil
    }

    // MARK: - Requests

    /// The gencb: one complete request.
    fileprivate func handle(_ request: UnsafeMutablePointer<evhttp_request>) {
        let connection = self.connection(for: request)
        // The input buffer now starts at the next pipelined request (if any).
        connection?.requestCompleted()
        var value = HTTPRequest(copying: request)
        if configuration.tls != nil, let connection {
            value.peerCertificateNames = TLSContext.peerNames(of: connection.bufferevent)
        }
        let responder = HTTPResponder(request: request, server: self, method: value.method)
        connection?.currentResponder = responder
        handlerDepth += 1
        handler(value, responder)
        handlerDepth -= 1
    }

    private func connection(for request: UnsafeMutablePointer<evhttp_request>) -> HTTPConnection? {
        guard let evcon = evhttp_request_get_connection(request),
              let bufferevent = evhttp_connection_get_bufferevent(evcon)
        else { return nil }
        return connections[bufferevent]
    }

    func willSendUserReply() { userSendDepth += 1 }
    func didSendUserReply() { userSendDepth -= 1 }
    /// True while a responder's `evhttp_send_reply` runs: output written then is ours,
    /// anything else written to a connection's output is evhttp's own.
    var isSendingUserReply: Bool { userSendDepth > 0 }

    // MARK: - Connections

    /// The bevcb: evhttp accepted a socket and asks for a bufferevent. evhttp sets its
    /// callbacks (with the `evhttp_connection *` as argument), the fd and the timeouts
    /// right after this returns; the set-up event then picks the connection up.
    fileprivate func makeBufferevent(_ base: OpaquePointer) -> OpaquePointer? {
        guard state != .closed, let setupEvent,
              let bufferevent = configuration.tls.map({ $0.makeBufferevent(base: base) }) ?? bufferevent_socket_new(base, -1, 0)
        else { return nil }
        // Our reference keeps the bufferevent's memory valid until the set-up event,
        // even if evhttp freed the connection in between (only on allocation failure).
        bufferevent_incref(bufferevent)
        let connection = HTTPConnection(server: self, bufferevent: bufferevent)
        connection.install()
        connections[bufferevent] = connection
        pendingSetup.append(connection)
        event_active(setupEvent, Int32(EV_TIMEOUT), 0)
        openConnections += 1
        updateAccepting()
        return bufferevent
    }

    /// Runs later in the pass that accepted: learns each new `evhttp_connection *`
    /// (the bufferevent's callback argument) and sets its close callback.
    fileprivate func finishSetup() {
        let batch = pendingSetup
        pendingSetup = []
        for connection in batch {
            var argument: UnsafeMutableRawPointer?
            bufferevent_getcb(connection.bufferevent, nil, nil, nil, &argument)
            if let argument {
                let evcon = OpaquePointer(argument)
                connection.evcon = evcon
                evhttp_connection_set_closecb(
                    evcon, httpServerConnectionClosedCallback,
                    Unmanaged.passUnretained(connection).toOpaque())
                if configuration.tls != nil { connection.armHandshakeDeadline() }
                bufferevent_decref(connection.bufferevent)
            } else {
                // bufferevent_free() cleared the callbacks: evhttp already dropped it.
                connection.uninstall()
                forget(connection)
                bufferevent_decref(connection.bufferevent)
            }
        }
    }

    /// The close callback, called by `evhttp_connection_free` before it frees the
    /// connection's requests and bufferevent.
    fileprivate func connectionClosed(_ connection: HTTPConnection) {
        if let responder = connection.currentResponder, let request = responder.pendingRequest,
           request.pointee.evcon != nil {
            // Still attached: evhttp frees it together with the connection.
            responder.invalidate()
        }
        connection.uninstall()
        forget(connection)
    }

    private func forget(_ connection: HTTPConnection) {
        guard connections.removeValue(forKey: connection.bufferevent) != nil else { return }
        openConnections -= 1
        updateAccepting()
    }

    /// Swaps the evhttp listener and the rejecting listener around the cap.
    private func updateAccepting() {
        guard state == .accepting || state == .atCapacity,
              let listener, let rejectListener else { return }
        let cap = configuration.maxConnections
        let full = cap > 0 && openConnections >= cap
        if full && state == .accepting {
            state = .atCapacity
            // listener_read_cb stops its accept loop once its listener is disabled.
            _ = evconnlistener_disable(listener)
            _ = evconnlistener_enable(rejectListener)
        } else if !full && state == .atCapacity {
            state = .accepting
            _ = evconnlistener_disable(rejectListener)
            _ = evconnlistener_enable(listener)
        }
    }

    /// A socket accepted while at the cap: `503`, then a short lingering close.
    fileprivate func reject(_ fd: Int32) {
        if configuration.tls != nil {
            // A plain-text answer means nothing to a TLS client.
            _ = Glibc.close(fd)
            return
        }
        let body = #"{"error":"too many connections"}"#
        let reply = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\nRetry-After: 1\r\n\r\n" + body
        _ = reply.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        _ = shutdown(fd, Int32(SHUT_WR))
        guard state != .closed, lingering.count < 64 else {
            _ = Glibc.close(fd)
            return
        }
        let socket = LingeringSocket(server: self, fd: fd)
        guard socket.start(base: loop.base) else {
            _ = Glibc.close(fd)
            return
        }
        lingering[fd] = socket
    }

    fileprivate func lingerFinished(_ socket: LingeringSocket) {
        lingering[socket.fd] = nil
    }

    // MARK: - Transport errors

    /// The status and JSON message that replace one of evhttp's HTML error pages.
    func transportError(status: Int, on connection: HTTPConnection) -> (status: Int, message: String) {
        switch status {
        case 413:
            return (413, "request body exceeds \(configuration.maxBodyBytes) bytes")
        case 400:
            if let reason = connection.rejection { return (400, reason) }
            if connection.headTooLarge {
                return (431, "request header exceeds \(configuration.maxHeaderBytes) bytes")
            }
            return (400, "bad request")
        case 501:
            return (501, "method not implemented")
        default:
            return (status, HTTPStatus.reasonPhrase(for: status).lowercased())
        }
    }

    // MARK: - Sockets

    private static func makeListeningSocket(host: String, port: Int) throws(EventHTTPError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host.isEmpty ? nil : host, String(port), &hints, &list)
        guard status == 0, let list else {
            let reason = status == EAI_SYSTEM ? EventHTTPError.errnoText(errno) : String(cString: gai_strerror(status))
            throw .invalidAddress(host: host, port: port, reason: reason)
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = EADDRNOTAVAIL
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let info = entry {
            entry = info.pointee.ai_next
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            let fd = socket(info.pointee.ai_family, type, 0)
            if fd < 0 {
                lastError = errno
                continue
            }
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            if bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0 {
                lastError = errno
                _ = Glibc.close(fd)
                continue
            }
            return fd
        }
        throw .bindFailed(host: host, port: port, errno: lastError, message: EventHTTPError.errnoText(lastError))
    }

    private static func localPort(of fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard status == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        default:
            return nil
        }
    }
}

/// A socket rejected at the connection cap: after the `503` and `shutdown(SHUT_WR)`,
/// read and discard what the client still sends (up to 1 MiB, until EOF or 2 s of
/// silence) so that closing does not turn into a reset that destroys the reply.
final class LingeringSocket {
    /// `unowned(unsafe)`: the server finishes every lingering socket before it is gone.
    unowned(unsafe) let server: HTTPServer
    let fd: Int32
    private var event: OpaquePointer?
    private var drained = 0

    init(server: HTTPServer, fd: Int32) {
        self.server = server
        self.fd = fd
    }

    func start(base: OpaquePointer) -> Bool {
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard let event = event_new(base, fd, Int16(EV_READ | EV_PERSIST), lingeringSocketCallback, context) else {
            return false
        }
        self.event = event
        var timeout = makeTimeval(seconds: 2)
        return event_add(event, &timeout) == 0
    }

    fileprivate func readable(timedOut: Bool) {
        if !timedOut {
            var scratch = [UInt8](repeating: 0, count: 16 << 10)
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 {
                drained += count
                if drained < 1 << 20 { return }
            } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                return
            }
        }
        finish()
        server.lingerFinished(self)
    }

    /// Frees the event and closes the socket. Idempotent.
    func finish() {
        if let event {
            event_free(event)
            _ = Glibc.close(fd)
        }
        event = nil
    }
}

// MARK: - C callbacks

private func httpServerRequestCallback(_ request: UnsafeMutablePointer<evhttp_request>?, _ context: UnsafeMutableRawPointer?) {
    guard let request, let context else { return }
    let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
    server.handle(request)
}

private func httpServerBuffereventCallback(_ base: OpaquePointer?, _ context: UnsafeMutableRawPointer?) -> OpaquePointer? {
    guard let base, let context else { return nil }
    let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
    return server.makeBufferevent(base)
}

private func httpServerSetupCallback(_ fd: Int32, _ what: Int16, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
    server.finishSetup()
}

private func httpServerCloseCallback(_ fd: Int32, _ what: Int16, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
    server.closeFromEvent()
}

private func httpServerConnectionClosedCallback(_ evcon: OpaquePointer?, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    let connection = Unmanaged<HTTPConnection>.fromOpaque(context).takeUnretainedValue()
    connection.server.connectionClosed(connection)
}

private func httpServerRejectCallback(
    _ listener: OpaquePointer?, _ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: Int32,
    _ context: UnsafeMutableRawPointer?
) {
    guard let context else {
        _ = Glibc.close(fd)
        return
    }
    let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
    server.reject(fd)
}

private func lingeringSocketCallback(_ fd: Int32, _ what: Int16, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    let socket = Unmanaged<LingeringSocket>.fromOpaque(context).takeUnretainedValue()
    socket.readable(timedOut: what & Int16(EV_TIMEOUT) != 0)
}

extension HTTPServer {
    fileprivate func closeFromEvent() {
        closeRequested = false
        performClose()
    }
}
