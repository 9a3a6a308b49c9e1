import EventHTTP
import JSON
import JSONRPC
import Logging
import QuotaAuth

/// HTTP routing. JSON-RPC answers, errors included, go out with 200; HTTP-level problems get
/// their own status and a JSON body.
extension QuotaServer {
    /// Dispatches one HTTP request.
    /// - `POST /rpc`: JSON-RPC 2.0 (`application/json`, any charset parameter); 204 when only
    ///   notifications were sent.
    /// - `GET /healthz`: 200 while the loop runs.
    /// - `GET /readyz`: 200 when the store has loaded and its last commit succeeded, else 503.
    /// - `GET /metrics`: the Prometheus text exposition.
    /// - `GET /`: the HTML status page (``StatusPage``).
    /// - With `--tokens`, `/metrics` and `/` show every pool, so they need a principal of any role
    ///   whose pools are `*` (401 without a known credential, 403 for a scoped one).
    /// - Other methods on those paths: 405 with `Allow`; other paths: 404; a non-JSON
    ///   Content-Type on `/rpc`: 415.
    func route(_ request: HTTPRequest, _ responder: HTTPResponder) {
        if draining {
            return Self.sendError(responder, status: 503, "quotad is stopping", headers: [(name: "Connection", value: "close")])
        }
        switch request.path {
        case "/rpc":
            guard request.method == "POST" else {
                return Self.sendError(responder, status: 405, "method \(request.method) not allowed on /rpc; use POST", headers: [(name: "Allow", value: "POST")])
            }
            if let contentType = request.header("Content-Type"), !Self.isJSONMediaType(contentType) {
                return Self.sendError(responder, status: 415, "Content-Type must be application/json (got \(contentType))")
            }
            guard var context = authenticate(request, responder) else { return }
            context.budget = RequestBudget()
            handleRPC(request.body, context: context, responder: responder)
        case "/healthz":
            guard request.method == "GET" || request.method == "HEAD" else {
                return Self.sendError(responder, status: 405, "method \(request.method) not allowed on /healthz; use GET", headers: [(name: "Allow", value: "GET, HEAD")])
            }
            Self.sendJSON(responder, status: 200, body: Array(#"{"status":"ok"}"#.utf8))
        case "/readyz":
            guard Self.allowGet(request, responder) else { return }
            if isReady {
                Self.sendJSON(responder, status: 200, body: Array(#"{"status":"ready"}"#.utf8))
            } else {
                let reason = storeLoaded ? (replica == nil ? "the store cannot commit; the last commit failed" : "the database does not answer; quotad reconnects by itself") : "the store has not loaded"
                Self.sendJSON(responder, status: 503, body: JSONWriter.serialize(["status": "not ready", "reason": .string(reason)]))
            }
        case "/metrics":
            guard Self.allowGet(request, responder), authorizeOverview(request, responder) else { return }
            let body = metrics.exposition(ledger: service.ledger, openConnections: http?.openConnections ?? 0, isReady: isReady)
            responder.send(status: 200, headers: [(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")], body: body)
        case "/":
            guard Self.allowGet(request, responder), authorizeOverview(request, responder) else { return }
            let page = StatusPage(query: request.query, ledger: service.ledger, now: service.clock.now(), startedAt: startedAt, isReady: isReady, version: version)
            responder.send(status: 200, headers: StatusPage.headers, body: Array(page.render().utf8))
        default:
            Self.sendError(responder, status: 404, "no route for \(request.path); JSON-RPC is served at POST /rpc")
        }
    }

    /// True when the caller may see every pool (the metrics, the status page): always without
    /// `--tokens`; with it, a principal whose pools are `*`. Else answers 401 or 403 and returns false.
    func authorizeOverview(_ request: HTTPRequest, _ responder: HTTPResponder) -> Bool {
        guard let context = authenticate(request, responder) else { return false }
        if let principal = context.principal, !principal.isUnscoped {
            Self.sendError(responder, status: 403, "principal \(principal.name) may see only some pools; \(request.path) shows every pool")
            return false
        }
        return true
    }

    /// True for GET and HEAD; else sends 405 with `Allow` and returns false.
    static func allowGet(_ request: HTTPRequest, _ responder: HTTPResponder) -> Bool {
        guard request.method == "GET" || request.method == "HEAD" else {
            sendError(responder, status: 405, "method \(request.method) not allowed on \(request.path); use GET", headers: [(name: "Allow", value: "GET, HEAD")])
            return false
        }
        return true
    }

    /// The caller of a request, or nil after answering 401 (issue #6): the principal of its bearer
    /// token, else (mutual TLS) the principal its client certificate's CN or a DNS SAN names.
    /// Without `--tokens`, every request is let in with no principal. The token never reaches a
    /// log or a reply.
    /// - Returns: the call context, or nil when the request was answered 401 with
    ///   `WWW-Authenticate: Bearer` (RFC 6750 section 3) and a JSON-RPC error -32002, id null, or
    ///   400 for more than one `Authorization` header.
    func authenticate(_ request: HTTPRequest, _ responder: HTTPResponder) -> CallContext? {
        guard let authenticator else { return CallContext() }
        if request.headerValues("Authorization").count > 1 {
            // Which one would a proxy in front of quotad have checked? Refuse to guess.
            Self.sendError(responder, status: 400, "more than one Authorization header")
            return nil
        }
        let challenge: String
        let reason: String
        if let header = request.header("Authorization") {
            if let token = Authenticator.bearerToken(in: header), let principal = authenticator.principal(bearer: token) {
                return CallContext(principal: principal)
            }
            challenge = #"Bearer realm="quotad", error="invalid_token""#
            reason = "the bearer token is not known"
        } else if let principal = authenticator.principal(certificateNames: request.peerCertificateNames) {
            // Mutual TLS: the verified client certificate names the principal.
            return CallContext(principal: principal)
        } else {
            challenge = #"Bearer realm="quotad""#
            reason = "send Authorization: Bearer <token>"
        }
        // Failed attempts leave a trace (never the token): guessing is visible in the log.
        logger.notice("unauthenticated request refused", metadata: [
            "event": "unauthorized", "path": .string(request.path), "remote": .string(request.remoteHost), "reason": .string(reason),
        ])
        let body = JSONRPCResponse(id: .null, error: .unauthorized(reason)).json
        Self.sendJSON(responder, status: 401, body: JSONWriter.serialize(body), headers: [(name: "WWW-Authenticate", value: challenge)])
        return nil
    }

    /// True for `application/json`, with or without parameters such as `charset=utf-8`.
    /// (Read byte by byte: it runs on every call, and splitting and lower-casing Strings cost
    /// about 7 % of an inspect's instructions.)
    static func isJSONMediaType(_ value: String) -> Bool {
        let expected: StaticString = "application/json"
        var bytes = value.utf8[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        guard bytes.count >= expected.utf8CodeUnitCount else { return false }
        for byte in UnsafeBufferPointer(start: expected.utf8Start, count: expected.utf8CodeUnitCount) {
            // ASCII case folding: only letters differ by 0x20.
            let next = bytes.removeFirst()
            guard next == byte || (byte >= 0x61 && byte <= 0x7A && next == byte - 0x20) else { return false }
        }
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        return bytes.isEmpty || bytes.first == UInt8(ascii: ";")
    }

    /// Sends `{"error": message}` with the given status.
    static func sendError(_ responder: HTTPResponder, status: Int, _ message: String, headers: [(name: String, value: String)] = []) {
        let body = JSONWriter.serialize(["error": .string(message)])
        sendJSON(responder, status: status, body: body, headers: headers)
    }
}
