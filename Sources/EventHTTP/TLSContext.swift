internal import CLibevent

/// A server-side TLS configuration: OpenSSL's `SSL_CTX`, shared by every connection of an
/// ``HTTPServer`` (issue #6). TLS 1.2 and later only.
///
/// Immutable once made, hence `@unchecked Sendable`; connections use it on the loop thread.
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer

    /// Loads a certificate chain and key, and optionally a client CA.
    /// - Parameters:
    ///   - certificatePath: PEM certificate chain, leaf first.
    ///   - keyPath: PEM private key of the leaf.
    ///   - clientCAPath: PEM CA certificates that client certificates must chain to; nil accepts
    ///     clients without certificates.
    /// - Throws: ``EventHTTPError/invalidConfiguration(_:)`` naming the file and OpenSSL's reason.
    public init(certificatePath: String, keyPath: String, clientCAPath: String? = nil) throws(EventHTTPError) {
        var error = [CChar](repeating: 0, count: 512)
        let made = clientCAPath.withOptionalCString { clientCA in
            quotad_tls_server_context(certificatePath, keyPath, clientCA, &error, error.count)
        }
        guard let made else {
            let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw .invalidConfiguration("TLS (--tls-cert \(certificatePath), --tls-key \(keyPath)\(clientCAPath.map { ", --tls-client-ca \($0)" } ?? "")): \(reason)")
        }
        self.context = made
    }

    deinit {
        SSL_CTX_free(context)
    }

    /// A bufferevent that accepts a TLS connection, for `evhttp_set_bevcb`.
    func makeBufferevent(base: OpaquePointer) -> OpaquePointer? {
        quotad_tls_bufferevent(base, context)
    }

    /// The verified client certificate's subject CN and DNS SANs, or empty.
    static func peerNames(of bufferevent: OpaquePointer) -> [String] {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = quotad_tls_peer_names(bufferevent, &buffer, buffer.count)
        guard count > 0 else { return [] }
        let text = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(separator: "\n").map(String.init)
    }
}

extension Optional where Wrapped == String {
    /// Calls `body` with a C string, or with NULL when nil.
    fileprivate func withOptionalCString<Result>(_ body: (UnsafePointer<CChar>?) -> Result) -> Result {
        switch self {
        case .some(let text): text.withCString { body($0) }
        case .none: body(nil)
        }
    }
}
