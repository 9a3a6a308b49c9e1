extension HTTPServer {
    /// Settings for an ``HTTPServer``. All limits are enforced by the transport before
    /// the request handler sees a request.
    public struct Configuration: Sendable {
        /// Address to listen on: an IPv4/IPv6 literal (`"127.0.0.1"`, `"::1"`,
        /// `"0.0.0.0"`) or a name resolved once with `getaddrinfo` at start-up.
        public var host: String = "127.0.0.1"
        /// TCP port; `0` picks an ephemeral port (read it back from
        /// ``HTTPServer/boundPort``).
        public var port: Int = 8080
        /// Largest accepted request body (`evhttp_set_max_body_size`). A larger body is
        /// answered `413` with a JSON error body. The connection then closes.
        public var maxBodyBytes: Int = 1 << 20
        /// Largest accepted request head: request line plus header lines
        /// (`evhttp_set_max_headers_size`). A larger head is answered `431` with a JSON
        /// error body.
        public var maxHeaderBytes: Int = 16 << 10
        /// Read/write inactivity timeout in seconds (`evhttp_set_timeout`): a client that
        /// sends part of a request, or idles on a keep-alive connection, for this long
        /// is disconnected without a reply. libevent re-arms it on every read, so the
        /// server also gives each request *head* this many seconds from its first byte
        /// (a client trickling header lines is disconnected too); bodies are only
        /// subject to the inactivity timeout. Neither runs while a request waits for
        /// its (deferred) reply. `0` or less: no timeouts (libevent's default).
        public var idleTimeoutSeconds: Int = 30
        /// Most simultaneously open client connections. Past the cap new connections
        /// are accepted, answered `503` with a JSON error body, and closed; existing
        /// connections are unaffected. `0` or less disables the cap.
        public var maxConnections: Int = 1024
        /// Serve HTTPS with this context (TLS 1.2+ through libevent's OpenSSL bufferevents);
        /// nil serves plain HTTP. Past the connection cap a TLS listener closes new
        /// connections without the plain-text `503`.
        public var tls: TLSContext?

        /// The defaults: `127.0.0.1:8080`, 1 MiB bodies, 16 KiB heads, 30 s idle
        /// timeout, 1024 connections.
        public init() {}
    }
}
