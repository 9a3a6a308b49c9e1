internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-connection bookkeeping for one evhttp connection, owned by its ``HTTPServer``
/// from `evhttp_set_bevcb` until the connection's close callback. Loop thread only.
///
/// libevent 2.1 gives no hook between "headers parsed" and "body read" for a server
/// request (`evhttp_request_set_header_cb` needs the request object, which 2.1 never
/// hands out before the request is complete), and always writes HTML error pages. So
/// this object watches the connection's bufferevent buffers with `evbuffer_add_cb`,
/// whose callbacks run synchronously whenever data is added or drained:
///
/// - **Input**: bytes are seen right after `recv` and before evhttp's read callback
///   parses them. A small scanner follows the current request head line by line and,
///   on a framing violation (duplicate `Content-Length`, …), replaces the offending line
///   with one that has no colon, so evhttp itself fails the request with `400` at once.
///   The scanner restarts at each complete request (the gencb), where evhttp has
///   consumed exactly one request and the buffer starts at the next pipelined one.
/// - **Output**: anything evhttp adds outside a responder's `send` is evhttp's own
///   (`100 Continue`, or an `evhttp_send_error` HTML page). When such a page is complete
///   (it ends with `</BODY></HTML>\n`) it is replaced, before the socket write is even
///   scheduled, with a JSON reply carrying the same status (or 431 for an over-long
///   head) and `Connection: close`.
final class HTTPConnection {
    /// `unowned(unsafe)`: the server removes every connection before it is gone (at
    /// the latest in its deinit, where a checked `unowned` load would trap because
    /// evhttp_free calls the close callbacks from inside that deinit).
    unowned(unsafe) let server: HTTPServer
    let bufferevent: OpaquePointer
    /// The `struct evhttp_connection *`, known after the server's set-up event.
    var evcon: OpaquePointer?
    /// The responder of the request being handled, until it is released.
    weak var currentResponder: HTTPResponder?

    private var inputEntry: OpaquePointer?
    private var outputEntry: OpaquePointer?
    /// Set while this object rewrites a buffer, so its own callbacks ignore the change.
    private var rewriting = false

    private enum Phase { case requestLine, headers, body }
    private var phase = Phase.requestLine
    /// Offset in the input buffer of the first byte not yet scanned.
    private var scanOffset = 0
    private var headBytes = 0
    private var sawContentLength = false
    private var sawTransferEncoding = false
    /// Why the scanner rejected the current head, for the JSON error body.
    private(set) var rejection: String?
    /// The current head is longer than `maxHeaderBytes`.
    private(set) var headTooLarge = false

    /// Deadline for the current request head (armed at its first byte).
    private var headTimer: OpaquePointer?
    private var headTimerArmed = false

    init(server: HTTPServer, bufferevent: OpaquePointer) {
        self.server = server
        self.bufferevent = bufferevent
    }

    /// Registers the input and output buffer callbacks (`evbuffer_add_cb`).
    func install() {
        let context = Unmanaged.passUnretained(self).toOpaque()
        if let input = bufferevent_get_input(bufferevent) {
            inputEntry = evbuffer_add_cb(input, connectionInputCallback, context)
        }
        if let output = bufferevent_get_output(bufferevent) {
            outputEntry = evbuffer_add_cb(output, connectionOutputCallback, context)
        }
    }

    /// Removes the buffer callbacks and the head timer. The bufferevent must still be
    /// valid (close callback, or our own reference held).
    func uninstall() {
        if let inputEntry, let input = bufferevent_get_input(bufferevent) {
            _ = evbuffer_remove_cb_entry(input, inputEntry)
        }
        if let outputEntry, let output = bufferevent_get_output(bufferevent) {
            _ = evbuffer_remove_cb_entry(output, outputEntry)
        }
        inputEntry = nil
        outputEntry = nil
        cancelHeadTimer(free: true)
    }

    // MARK: - Input scanner

    /// evhttp delivered a complete request: it consumed exactly that request, so the
    /// input buffer now starts at the next pipelined request (if any bytes are there).
    func requestCompleted() {
        phase = .requestLine
        scanOffset = 0
        headBytes = 0
        sawContentLength = false
        sawTransferEncoding = false
        rejection = nil
        headTooLarge = false
        cancelHeadTimer(free: false)
        if let input = bufferevent_get_input(bufferevent) {
            scan(input)
        }
    }

    fileprivate func inputChanged(_ buffer: OpaquePointer, added: Int, deleted: Int) {
        guard !rewriting else { return }
        // evbuffer drains always remove bytes from the front.
        if deleted > 0 { scanOffset = max(0, scanOffset - deleted) }
        if added > 0 && phase != .body { scan(buffer) }
    }

    private func scan(_ buffer: OpaquePointer) {
        let maxHead = server.configuration.maxHeaderBytes
        while phase != .body {
            let total = evbuffer_get_length(buffer)
            guard scanOffset < total else { break }
            armHeadTimer()
            var start = evbuffer_ptr()
            guard evbuffer_ptr_set(buffer, &start, scanOffset, EVBUFFER_PTR_SET) == 0 else { break }
            var eolLength = 0
            let eol = evbuffer_search_eol(buffer, &start, &eolLength, EVBUFFER_EOL_CRLF)
            if eol.pos < 0 {
                if headBytes + (total - scanOffset) > maxHead { headTooLarge = true }
                break
            }
            let lineStart = scanOffset
            let lineLength = eol.pos - lineStart
            scanOffset = eol.pos + eolLength
            headBytes += lineLength
            if headBytes > maxHead { headTooLarge = true }
            switch phase {
            case .requestLine:
                phase = .headers
            case .headers:
                if lineLength == 0 {
                    phase = .body
                    cancelHeadTimer(free: false)
                } else if lineLength <= maxHead {
                    let line = copyBytes(buffer, from: lineStart, count: lineLength)
                    if let reason = checkHeaderLine(line) {
                        rejectLine(buffer, at: lineStart, length: lineLength + eolLength, reason: reason)
                        phase = .body
                        cancelHeadTimer(free: false)
                    }
                }
            case .body:
                break
            }
        }
    }

    /// Framing rules evhttp 2.1 does not enforce. Returns the reason to reject, if any.
    private func checkHeaderLine(_ line: [UInt8]) -> String? {
        // A continuation line (obs-fold) is joined by evhttp; a line without a colon
        // is rejected by evhttp itself.
        // RFC 9110 section 5.5: a field value holds no NUL or other control character but HTAB.
        // evhttp keeps values as C strings, so a NUL would silently cut one short.
        if line.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) {
            return "control character in a header line"
        }
        guard let first = line.first, first != 0x20, first != 0x09,
              let colon = line.firstIndex(of: UInt8(ascii: ":"))
        else { return nil }
        let name = line[..<colon]
        if name.contains(where: { $0 == 0x20 || $0 == 0x09 }) {
            return "whitespace in a header field name"
        }
        var value = line[(colon + 1)...]
        while let byte = value.first, byte == 0x20 || byte == 0x09 { value = value.dropFirst() }
        while let byte = value.last, byte == 0x20 || byte == 0x09 { value = value.dropLast() }
        if equalsIgnoringCase(name, "content-length") {
            if sawContentLength { return "duplicate Content-Length header" }
            sawContentLength = true
            if sawTransferEncoding { return "both Content-Length and Transfer-Encoding" }
            if value.isEmpty || !value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                return "invalid Content-Length header"
            }
        } else if equalsIgnoringCase(name, "transfer-encoding") {
            if sawTransferEncoding { return "duplicate Transfer-Encoding header" }
            sawTransferEncoding = true
            if sawContentLength { return "both Content-Length and Transfer-Encoding" }
            if !equalsIgnoringCase(value, "chunked") { return "unsupported Transfer-Encoding" }
        }
        return nil
    }

    /// Replaces the header line at `offset` with a colon-less line, which evhttp's
    /// header parser rejects (`DATA_CORRUPTED` → `400`).
    private func rejectLine(_ buffer: OpaquePointer, at offset: Int, length: Int, reason: String) {
        rejection = reason
        guard let prefix = evbuffer_new() else { return }
        rewriting = true
        _ = evbuffer_remove_buffer(buffer, prefix, offset)
        _ = evbuffer_drain(buffer, length)
        let poison = "Rejected-By-Server\r\n"
        _ = poison.withCString { evbuffer_add(prefix, $0, strlen($0)) }
        _ = evbuffer_prepend_buffer(buffer, prefix)
        rewriting = false
        evbuffer_free(prefix)
    }

    // MARK: - Head deadline

    /// Over TLS: the handshake and the first request head must complete within the idle
    /// timeout of the connection's start. libevent's read timeout restarts at every byte, so a
    /// ClientHello sent a byte at a time would otherwise hold the connection slot for minutes.
    func armHandshakeDeadline() {
        armHeadTimer()
    }

    private func armHeadTimer() {
        guard !headTimerArmed else { return }
        let seconds = server.configuration.idleTimeoutSeconds
        guard seconds > 0 else { return }
        if headTimer == nil {
            let context = Unmanaged.passUnretained(self).toOpaque()
            headTimer = event_new(server.loop.base, -1, 0, connectionHeadTimerCallback, context)
        }
        guard let headTimer else { return }
        var timeout = makeTimeval(seconds: Double(seconds))
        if event_add(headTimer, &timeout) == 0 { headTimerArmed = true }
    }

    func cancelHeadTimer(free: Bool) {
        if let headTimer {
            if headTimerArmed { _ = event_del(headTimer) }
            if free {
                event_free(headTimer)
                self.headTimer = nil
            }
        }
        headTimerArmed = false
    }

    /// The head did not complete in time. Drop the connection unless it is still busy
    /// with the previous request (reply deferred or being written); then look again
    /// in a second.
    fileprivate func headDeadlinePassed() {
        headTimerArmed = false
        guard phase != .body, let evcon else { return }
        let replyPending = currentResponder?.pendingRequest != nil
        let outputPending = bufferevent_get_output(bufferevent).map { evbuffer_get_length($0) > 0 } ?? false
        if replyPending || outputPending {
            if let headTimer {
                var timeout = makeTimeval(seconds: 1)
                if event_add(headTimer, &timeout) == 0 { headTimerArmed = true }
            }
            return
        }
        // Reading a request: the only request on the connection is evhttp's own
        // (not yet handed out), so freeing the connection frees nothing we hold.
        evhttp_connection_free(evcon)
    }

    // MARK: - Output rewriter

    fileprivate func outputChanged(_ buffer: OpaquePointer, added: Int) {
        guard added > 0, !rewriting, !server.isSendingUserReply else { return }
        let length = evbuffer_get_length(buffer)
        let trailer = Array("</BODY></HTML>\n".utf8)
        guard length > trailer.count, length <= 16 << 10 else { return }
        // bufferevent_socket freezes the output's front after its first write (and
        // evbuffer_copyout refuses to read a buffer whose front is frozen). Only its own
        // write callback drains the output, and it unfreezes around the write, so
        // leaving the front frozen afterwards is always harmless.
        rewriting = true
        _ = evbuffer_unfreeze(buffer, 1)
        defer {
            _ = evbuffer_freeze(buffer, 1)
            rewriting = false
        }
        guard copyBytes(buffer, from: length - trailer.count, count: trailer.count) == trailer else { return }
        let bytes = copyBytes(buffer, from: 0, count: length)
        // The page's status line is the last "HTTP/1." in the buffer (an earlier one can
        // only be a "100 Continue" not yet flushed).
        let marker = Array("HTTP/1.".utf8)
        guard let start = lastIndex(of: marker, in: bytes), start + 12 <= bytes.count,
              let status = Int(String(decoding: bytes[(start + 9)..<(start + 12)], as: UTF8.self)),
              contains(Array("Content-Type: text/html".utf8), in: bytes[start...])
        else { return }
        let version = String(decoding: bytes[start..<(start + 8)], as: UTF8.self)
        let error = server.transportError(status: status, on: self)
        let body = "{\"error\":\"\(jsonEscaped(error.message))\"}"
        let reply = "\(version) \(error.status) \(HTTPStatus.reasonPhrase(for: error.status))\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n" + body
        guard let kept = evbuffer_new() else { return }
        _ = evbuffer_remove_buffer(buffer, kept, start)
        _ = evbuffer_drain(buffer, length - start)
        _ = evbuffer_add_buffer(buffer, kept)
        _ = reply.withCString { evbuffer_add(buffer, $0, strlen($0)) }
        evbuffer_free(kept)
    }
}

// MARK: - Helpers

private func copyBytes(_ buffer: OpaquePointer, from offset: Int, count: Int) -> [UInt8] {
    guard count > 0 else { return [] }
    var position = evbuffer_ptr()
    guard evbuffer_ptr_set(buffer, &position, offset, EVBUFFER_PTR_SET) == 0 else { return [] }
    return [UInt8](unsafeUninitializedCapacity: count) { storage, initialized in
        initialized = max(0, evbuffer_copyout_from(buffer, &position, storage.baseAddress, count))
    }
}

private func equalsIgnoringCase<C: Collection>(_ bytes: C, _ lowercase: StaticString) -> Bool where C.Element == UInt8 {
    guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
    return lowercase.withUTF8Buffer { expected in
        zip(bytes, expected).allSatisfy { asciiLower($0) == $1 }
    }
}

private func lastIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    var index = haystack.count - needle.count
    while index >= 0 {
        if haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
        index -= 1
    }
    return nil
}

private func contains(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Bool {
    guard haystack.count >= needle.count else { return false }
    var index = haystack.startIndex
    while index + needle.count <= haystack.endIndex {
        if haystack[index..<(index + needle.count)].elementsEqual(needle) { return true }
        index += 1
    }
    return false
}

func jsonEscaped(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}

// MARK: - C callbacks

private func connectionInputCallback(
    _ buffer: OpaquePointer?, _ info: UnsafePointer<evbuffer_cb_info>?, _ context: UnsafeMutableRawPointer?
) {
    guard let buffer, let info, let context else { return }
    let connection = Unmanaged<HTTPConnection>.fromOpaque(context).takeUnretainedValue()
    connection.inputChanged(buffer, added: info.pointee.n_added, deleted: info.pointee.n_deleted)
}

private func connectionOutputCallback(
    _ buffer: OpaquePointer?, _ info: UnsafePointer<evbuffer_cb_info>?, _ context: UnsafeMutableRawPointer?
) {
    guard let buffer, let info, let context else { return }
    let connection = Unmanaged<HTTPConnection>.fromOpaque(context).takeUnretainedValue()
    connection.outputChanged(buffer, added: info.pointee.n_added)
}

private func connectionHeadTimerCallback(_ fd: Int32, _ what: Int16, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    let connection = Unmanaged<HTTPConnection>.fromOpaque(context).takeUnretainedValue()
    connection.headDeadlinePassed()
}

