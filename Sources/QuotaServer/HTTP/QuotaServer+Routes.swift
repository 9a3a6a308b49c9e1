import EventHTTP
import JSON

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
    /// - Other methods on those paths: 405 with `Allow`; other paths: 404; a non-JSON
    ///   Content-Type on `/rpc`: 415.
    func route(_ request: HTTPRequest, _ responder: HTTPResponder) {
        switch request.path {
        case "/rpc":
            guard request.method == "POST" else {
                return Self.sendError(responder, status: 405, "method \(request.method) not allowed on /rpc; use POST", headers: [(name: "Allow", value: "POST")])
            }
            if let contentType = request.header("Content-Type"), !Self.isJSONMediaType(contentType) {
                return Self.sendError(responder, status: 415, "Content-Type must be application/json (got \(contentType))")
            }
            reply(responder, body: service.handle(body: request.body))
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
                let reason = storeLoaded ? "the store cannot commit; the last commit failed" : "the store has not loaded"
                Self.sendJSON(responder, status: 503, body: JSONWriter.serialize(["status": "not ready", "reason": .string(reason)]))
            }
        case "/metrics":
            guard Self.allowGet(request, responder) else { return }
            let body = metrics.exposition(ledger: service.ledger, openConnections: http?.openConnections ?? 0, isReady: isReady)
            responder.send(status: 200, headers: [(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")], body: body)
        case "/":
            guard Self.allowGet(request, responder) else { return }
            let page = StatusPage(query: request.query, ledger: service.ledger, now: service.clock.now(), startedAt: startedAt, isReady: isReady, version: version)
            responder.send(status: 200, headers: StatusPage.headers, body: Array(page.render().utf8))
        default:
            Self.sendError(responder, status: 404, "no route for \(request.path); JSON-RPC is served at POST /rpc")
        }
    }

    /// True for GET and HEAD; else sends 405 with `Allow` and returns false.
    static func allowGet(_ request: HTTPRequest, _ responder: HTTPResponder) -> Bool {
        guard request.method == "GET" || request.method == "HEAD" else {
            sendError(responder, status: 405, "method \(request.method) not allowed on \(request.path); use GET", headers: [(name: "Allow", value: "GET, HEAD")])
            return false
        }
        return true
    }

    /// True for `application/json`, with or without parameters such as `charset=utf-8`.
    static func isJSONMediaType(_ value: String) -> Bool {
        let mediaType = value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSpaces.lowercased() } ?? ""
        return mediaType == "application/json"
    }

    /// Sends `{"error": message}` with the given status.
    static func sendError(_ responder: HTTPResponder, status: Int, _ message: String, headers: [(name: String, value: String)] = []) {
        let body = JSONWriter.serialize(["error": .string(message)])
        sendJSON(responder, status: status, body: body, headers: headers)
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var result = self
        while result.first == " " || result.first == "\t" { result.removeFirst() }
        while result.last == " " || result.last == "\t" { result.removeLast() }
        return result
    }
}
