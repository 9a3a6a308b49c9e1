#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EventHTTP
import JSON
import JSONRPC
import QuotaAuth
import QuotaCore
import QuotaStore

/// The running quotad: one libevent loop that owns the ledger, serves HTTP, group-commits every
/// loop pass's changes to the store before answering, and expires leases on a timer.
///
/// The request path, in order: ``HTTPServer`` reads a request → ``route(_:_:)`` → ``QuotaService``
/// decides on the in-memory ledger → the reply waits in the ``GroupCommit`` → at the end of the loop
/// pass ``GroupCommit`` writes every change of the pass in one transaction (fsynced) → the replies go out.
public final class QuotaServer {
    let configuration: ServerConfiguration
    let loop: EventLoop
    let store: any LedgerStore
    let service: QuotaService
    private var http: HTTPServer?
    private var commitTrigger: EventTrigger?
    private var expiryTimer: EventTimer?
    /// Replies that wait for the current pass's commit.
    private var groupCommit: GroupCommit<HTTPResponder>?
    /// Who may call; nil when quotad runs without `--tokens`. Replaced on SIGHUP.
    var authenticator: Authenticator?

    /// Opens the store, restores the ledger, expires what expired while quotad was down and commits
    /// that, then binds the listening socket.
    /// - Parameter configuration: the flags.
    /// - Throws: ``StoreError`` when the store cannot be opened or read; ``EventHTTPError`` when the
    ///   address cannot be bound.
    public init(configuration: ServerConfiguration) throws {
        self.configuration = configuration
        if let path = configuration.tokensFile {
            authenticator = Authenticator(tokens: try TokensFile.load(path: path))
        } else if !configuration.listensOnLoopback && !configuration.allowUnauthenticated {
            throw ServerConfigurationError(
                "refusing to serve \(configuration.host) without authentication: give --tokens FILE, listen on loopback, or pass --insecure-allow-unauthenticated"
            )
        }
        self.loop = try EventLoop()
        switch configuration.store {
        case .memory: store = MemoryStore()
        case .sqlite(let directory): store = try SQLiteStore(directory: directory)
        }
        let stored = try store.load()
        service = QuotaService(
            stored: stored, clock: AnchoredClock(), openRPCDocument: OpenRPCDocument.load(),
            retentionSeconds: configuration.retentionSeconds, maxBatchSize: configuration.maxBatchSize
        )
        // Leases that expired while quotad was down are freed before the first request is served.
        while service.hasDueWork { _ = service.expireDue() }
        if let changes = service.pendingChanges {
            try store.commit(changes)
            service.acknowledgeCommit()
        }

        var httpConfiguration = HTTPServer.Configuration()
        httpConfiguration.host = configuration.host
        httpConfiguration.port = configuration.port
        httpConfiguration.maxBodyBytes = configuration.maxBodyBytes
        httpConfiguration.idleTimeoutSeconds = configuration.idleTimeoutSeconds
        httpConfiguration.maxConnections = configuration.maxConnections
        http = try HTTPServer(loop: loop, configuration: httpConfiguration) { [unowned self] request, responder in
            self.route(request, responder)
        }
        commitTrigger = loop.makeTrigger { [unowned self] in self.commit() }
        groupCommit = GroupCommit(
            service: service, store: store, send: { responder, body in Self.send(responder, body: body) },
            scheduleCommit: { [unowned self] in self.commitTrigger?.activate() }
        )
        expiryTimer = loop.makeTimer { [unowned self] in self.sweep() }
        loop.onSignal(SIGTERM) { [unowned self] in self.loop.stop() }
        loop.onSignal(SIGINT) { [unowned self] in self.loop.stop() }
        loop.onSignal(SIGHUP) { [unowned self] in self.reloadTokens() }
        scheduleExpiry()
    }

    /// The port actually bound (useful with port 0).
    public var boundPort: Int { http?.boundPort ?? 0 }

    /// A one-line summary for the start-up log.
    public var summary: String {
        "quotad listening on http://\(configuration.host):\(boundPort) store=\(store.description) revision=\(service.ledger.revision) pools=\(service.ledger.pools.count) leases=\(service.ledger.leases.count) maxBodyBytes=\(configuration.maxBodyBytes) idleTimeout=\(configuration.idleTimeoutSeconds)s maxConnections=\(configuration.maxConnections) maxBatch=\(configuration.maxBatchSize) auth=\(authenticator.map { "tokens(\($0.tokens.entries.count) principals)" } ?? "none")"
    }

    /// Serves until SIGTERM or SIGINT; pending replies are committed and sent first.
    public func run() throws {
        try loop.run()
        commit()
        http?.close()
    }

    // MARK: Group commit

    /// Queues or sends a JSON-RPC reply through the group commit.
    func reply(_ responder: HTTPResponder, body: [UInt8]?) {
        groupCommit?.reply(responder, body: body)
    }

    /// Commits the pass's changes and answers everyone who waited, then re-arms the expiry timer.
    func commit() {
        if let failure = groupCommit?.commit() {
            logLine("commit failed, the pass's changes were rolled back and answered -32001: \(failure)")
        }
        scheduleExpiry()
    }

    /// Sends a JSON-RPC reply: 200 with the body, or 204 with none.
    static func send(_ responder: HTTPResponder, body: [UInt8]?) {
        if let body {
            sendJSON(responder, status: 200, body: body)
        } else {
            responder.send(status: 204, headers: [], body: [])
        }
    }

    // MARK: Expiry

    /// Expires one slice of due leases and schedules the next sweep: at once when more are due,
    /// else at the next deadline. The changes go through the same group commit.
    func sweep() {
        let expired = service.expireDue()
        if !expired.isEmpty {
            logLine("expired \(expired.count) lease(s) at revision \(service.ledger.revision)")
        }
        if service.pendingChanges != nil {
            commitTrigger?.activate()
        } else {
            scheduleExpiry()
        }
    }

    /// Points the expiry timer at the ledger's next deadline; at least 1 s away after a failed
    /// commit, so a broken store is retried once a second rather than on every loop pass.
    func scheduleExpiry() {
        guard let timer = expiryTimer else { return }
        if let seconds = service.secondsUntilNextDeadline {
            timer.schedule(afterSeconds: min(max(seconds, groupCommit?.lastCommitFailed == true ? 1 : 0), 3600))
        } else {
            timer.cancel()
        }
    }

    // MARK: Tokens

    /// Re-reads the tokens file (SIGHUP). Connections stay open; the next request is judged by the
    /// new file. A file that cannot be read or parsed keeps the old tokens, and the log says why.
    /// (A tokens file is a few kilobytes on a local disk, read on the loop thread.)
    func reloadTokens() {
        guard let path = configuration.tokensFile else {
            logLine("SIGHUP: no --tokens file to reload")
            return
        }
        do {
            let file = try TokensFile.load(path: path)
            authenticator = Authenticator(tokens: file)
            logLine("SIGHUP: reloaded \(file.entries.count) principal(s) from \(path)")
        } catch {
            logLine("SIGHUP: kept the previous tokens; \(error.reason)")
        }
    }

    // MARK: HTTP

    static func sendJSON(_ responder: HTTPResponder, status: Int, body: [UInt8], headers: [(name: String, value: String)] = []) {
        responder.send(status: status, headers: [(name: "Content-Type", value: "application/json")] + headers, body: body)
    }

    /// Writes one line to standard error.
    func logLine(_ text: String) {
        let line = Array("quotad: \(text)\n".utf8)
        _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
