import CCurl

/// One libcurl easy handle that POSTs bodies to one URL. Reusing the handle keeps the
/// connection alive between calls. Not thread-safe (libcurl's rule for easy handles).
final class CurlSession {
    let url: String
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var headers: UnsafeMutablePointer<curl_slist>?

    /// curl_global_init, once per process before the first handle (libcurl requires it to run
    /// before any other call and not concurrently; a static let runs once, thread-safely).
    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))

    /// - Parameters:
    ///   - url: the endpoint, e.g. `http://127.0.0.1:8080/rpc`.
    ///   - timeoutSeconds: the most a whole request may take, in seconds.
    ///   - credentials: bearer token, CA file and client certificate.
    /// - Throws: ``TransportError`` when libcurl cannot make a handle.
    init(url: String, timeoutSeconds: Int, credentials: ClientCredentials = ClientCredentials()) throws(TransportError) {
        self.url = url
        guard Self.globalInit == CURLE_OK, let handle = curl_easy_init() else {
            throw TransportError(url: url, message: "curl_easy_init failed", curlCode: Int(CURLE_FAILED_INIT.rawValue))
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        headers = curl_slist_append(nil, "Content-Type: application/json")
        // evhttp answers without 100-continue; curl must not wait for it on bodies over 1 KiB.
        headers = curl_slist_append(headers, "Expect:")
        quotad_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        quotad_curl_setopt_string(handle, CURLOPT_URL, url)
        quotad_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        quotad_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        quotad_curl_setopt_long(handle, CURLOPT_POST, 1)
        quotad_curl_setopt_long(handle, CURLOPT_TIMEOUT, timeoutSeconds)
        quotad_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, min(timeoutSeconds, 10))
        quotad_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, headers)
        quotad_curl_setopt_write_function(handle, curlSessionWrite)
        if let token = credentials.bearerToken {
            quotad_curl_set_bearer(handle, token)
        }
        if let caFile = credentials.caFile { quotad_curl_setopt_string(handle, CURLOPT_CAINFO, caFile) }
        if let certificate = credentials.clientCertificate { quotad_curl_setopt_string(handle, CURLOPT_SSLCERT, certificate) }
        if let key = credentials.clientKey { quotad_curl_setopt_string(handle, CURLOPT_SSLKEY, key) }
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headers)
        errorBuffer.deallocate()
    }

    /// POSTs `body` and returns the HTTP status and the response body.
    /// - Throws: ``TransportError`` naming the URL and libcurl's message.
    func post(_ body: [UInt8]) throws(TransportError) -> (status: Int, body: [UInt8]) {
        let sink = ResponseSink()
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        errorBuffer[0] = 0
        quotad_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, unmanaged.toOpaque())
        quotad_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
        let code = body.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                // COPYPOSTFIELDS copies the bytes, so the buffer need not outlive this call.
                quotad_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: chars.baseAddress))
                return curl_easy_perform(handle)
            }
        }
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            throw TransportError(url: url, message: message, curlCode: Int(code.rawValue))
        }
        var status = 0
        quotad_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return (status, sink.bytes)
    }
}

/// Collects a response body; passed to libcurl as the write callback's userdata.
private final class ResponseSink {
    var bytes: [UInt8] = []
}

/// libcurl's write callback: appends the chunk to the ``ResponseSink``.
private func curlSessionWrite(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ userdata: UnsafeMutableRawPointer?
) -> Int {
    let length = size * count
    guard let data, let userdata else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
    data.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
        sink.bytes.append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
    }
    return length
}
