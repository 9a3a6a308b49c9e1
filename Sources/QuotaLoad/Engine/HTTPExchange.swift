internal import CLibevent
#if canImport(Glibc)
import Glibc
#endif

/// One keep-alive HTTP/1.1 client connection (libevent's `evhttp_connection`) that POSTs
/// JSON bodies and hands each answer, or its absence, to a callback. Loop thread only.
final class HTTPExchange {
    /// What came back: the status and body, or nil when no answer came (refused, reset, timeout).
    typealias Completion = (_ status: Int, _ body: [UInt8]?) -> Void

    private let connection: OpaquePointer
    private let host: String
    private let path: String
    private let token: String?
    private var completion: Completion?

    /// Opens (lazily, at the first request) a connection to `host:port`.
    /// - Parameters:
    ///   - base: the loop's `event_base`.
    ///   - timeoutSeconds: how long a request may take before it fails.
    init(base: OpaquePointer, host: String, port: Int, path: String, token: String?, timeoutSeconds: Double) throws(LoadError) {
        guard let connection = evhttp_connection_base_new(base, nil, host, UInt16(port)) else {
            throw .transport("cannot make a connection to \(host):\(port)")
        }
        self.connection = connection
        self.host = host
        self.path = path
        self.token = token
        var timeout = timeval(tv_sec: Int(timeoutSeconds), tv_usec: Int((timeoutSeconds - timeoutSeconds.rounded(.down)) * 1_000_000))
        evhttp_connection_set_timeout_tv(connection, &timeout)
        evhttp_connection_set_retries(connection, 0)
    }

    deinit { evhttp_connection_free(connection) }

    /// True while a request is in flight.
    var isBusy: Bool { completion != nil }

    /// POSTs `body` with `Content-Type: application/json`; `completion` runs once on the loop.
    func post(_ body: [UInt8], completion: @escaping Completion) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard let request = evhttp_request_new(httpExchangeCallback, context) else {
            completion(0, nil)
            return
        }
        let headers = evhttp_request_get_output_headers(request)
        evhttp_add_header(headers, "Host", host)
        evhttp_add_header(headers, "Content-Type", "application/json")
        if let token { evhttp_add_header(headers, "Authorization", "Bearer \(token)") }
        body.withUnsafeBytes { bytes in
            _ = evbuffer_add(evhttp_request_get_output_buffer(request), bytes.baseAddress, bytes.count)
        }
        self.completion = completion
        // On failure libevent has freed the request and will not call back.
        if evhttp_make_request(connection, request, EVHTTP_REQ_POST, path) != 0 {
            self.completion = nil
            completion(0, nil)
        }
    }

    fileprivate func finish(_ request: UnsafeMutablePointer<evhttp_request>?) {
        guard let completion else { return }
        self.completion = nil
        guard let request, evhttp_request_get_response_code(request) > 0 else {
            completion(0, nil)
            return
        }
        let status = Int(evhttp_request_get_response_code(request))
        let buffer = evhttp_request_get_input_buffer(request)
        let length = evbuffer_get_length(buffer)
        var body = [UInt8](repeating: 0, count: length)
        if length > 0 {
            body.withUnsafeMutableBytes { bytes in _ = evbuffer_copyout(buffer, bytes.baseAddress, length) }
        }
        completion(status, body)
    }
}

private func httpExchangeCallback(_ request: UnsafeMutablePointer<evhttp_request>?, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    Unmanaged<HTTPExchange>.fromOpaque(context).takeUnretainedValue().finish(request)
}
