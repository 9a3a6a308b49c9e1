/// How a client proves who it is and whom it trusts (issue #6).
public struct ClientCredentials: Sendable, Equatable {
    /// Sent as `Authorization: Bearer <token>`; never printed.
    public var bearerToken: String?
    /// PEM CA certificates that the server's certificate must chain to (curl's `--cacert`);
    /// nil uses the system's.
    public var caFile: String?
    /// PEM client certificate and key for mutual TLS.
    public var clientCertificate: String?
    public var clientKey: String?

    public init(bearerToken: String? = nil, caFile: String? = nil, clientCertificate: String? = nil, clientKey: String? = nil) {
        self.bearerToken = bearerToken
        self.caFile = caFile
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
    }
}
