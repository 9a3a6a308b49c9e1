#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EventHTTP
import JSON
import JSONRPC
import Logging
import QuotaAuth
import QuotaCore
import QuotaPostgres
import QuotaStore

/// The running quotad: one libevent loop that owns the ledger, serves HTTP, group-commits every
/// loop pass's changes to the store before answering, and expires leases on a timer.
///
/// The request path, in order: ``HTTPServer`` reads a request → ``route(_:_:)`` → ``QuotaService``
/// decides on the in-memory ledger → the reply waits in the ``GroupCommit`` → at the end of the loop
/// pass ``GroupCommit`` writes every change of the pass in one transaction (fsynced) → the replies go out
/// → each call is counted in the metrics and logged (``CallRecord``, issue #7).
public final class QuotaServer {
    let configuration: ServerConfiguration
    let loop: EventLoop
    /// The embedded store (SQLite or memory); nil on PostgreSQL.
    let store: (any LedgerStore)?
    /// The store's description for logs, without secrets.
    let storeDescription: String
    let service: QuotaService
    var http: HTTPServer?
    private var commitTrigger: EventTrigger?
    private var expiryTimer: EventTimer?
    /// Replies that wait for the current pass's commit (embedded stores).
    private var groupCommit: GroupCommit<PendingReply>?
    /// The transaction cycle of a replica on PostgreSQL; nil on the embedded stores.
    private(set) var replica: ReplicaCycle<PendingReply>?
    /// Where the service's events are logged (swift-log).
    let logger: Logger
    /// The Prometheus metrics served at /metrics.
    let metrics: ServerMetrics
    /// Records every JSON-RPC call of the request being handled.
    private var recorder: CallRecorder?
    /// True once the store has loaded and the leases that expired while quotad was down are
    /// committed; /readyz answers 503 before.
    private(set) var storeLoaded = false
    /// True from a failed commit until the store commits again (for the recovery log line).
    var storeFailing = false
    /// When quotad started, for the status page.
    let startedAt: Timestamp
    /// True while stopping: new requests get 503.
    var draining = false

    /// A reply waiting for the group commit, with the records of the calls it answers.
    struct PendingReply {
        var responder: HTTPResponder
        var calls: [CallRecord]
    }
    /// Who may call; nil when quotad runs without `--tokens`. Replaced on SIGHUP.
    var authenticator: Authenticator?

    /// Opens the store, restores the ledger, expires what expired while quotad was down and commits
    /// that, then binds the listening socket.
    /// - Parameters:
    ///   - configuration: the flags.
    ///   - logger: where events go; install the process's handler (`LoggingSystem.bootstrap`) first.
    /// - Throws: ``StoreError`` when the store cannot be opened or read; ``EventHTTPError`` when the
    ///   address cannot be bound.
    public init(configuration: ServerConfiguration, logger: Logger = Logger(label: "quotad")) throws {
        self.configuration = configuration
        self.logger = logger
        self.metrics = ServerMetrics(maxPools: configuration.metricsMaxPools)
        if let path = configuration.tokensFile {
            authenticator = Authenticator(tokens: try TokensFile.load(path: path))
        } else if !configuration.listensOnLoopback && !configuration.allowUnauthenticated {
            throw ServerConfigurationError(
                "refusing to serve \(configuration.host) without authentication: give --tokens FILE, listen on loopback, or pass --insecure-allow-unauthenticated"
            )
        }
        self.loop = try EventLoop()
        let stored: StoredLedger
        let clock: any LedgerClock
        var postgres: (store: PostgresLedgerStore, snapshot: PostgresLedgerStore.Snapshot, clock: DatabaseClock)?
        switch configuration.store {
        case .memory, .sqlite:
            let local: any LedgerStore
            if case .sqlite(let directory) = configuration.store {
                local = try SQLiteStore(directory: directory)
            } else {
                local = MemoryStore()
            }
            store = local
            storeDescription = local.description
            stored = try local.load()
            clock = AnchoredClock()
        case .postgres(let url):
            let shared = PostgresLedgerStore(url: url)
            let snapshot = try shared.open { [logger] reason in
                logger.warning("waiting for the database: \(reason)", metadata: ["event": "store_unavailable"])
            }
            let databaseClock = DatabaseClock(databaseNow: snapshot.databaseNow)
            postgres = (shared, snapshot, databaseClock)
            store = nil
            storeDescription = shared.description
            stored = snapshot.stored
            clock = databaseClock
        }
        startedAt = clock.now()
        service = QuotaService(
            stored: stored, clock: clock, openRPCDocument: OpenRPCDocument.load(),
            retentionSeconds: configuration.retentionSeconds, maxBatchSize: configuration.maxBatchSize
        )
        if let store {
            // Leases that expired while quotad was down are freed before the first request is served.
            // (On PostgreSQL the first cycle does it, inside its transaction.)
            while service.hasDueWork { _ = service.expireDue() }
            if let changes = service.pendingChanges {
                let started = ContinuousClock.now
                try store.commit(changes)
                service.acknowledgeCommit()
                committed(CommitReport(changes: changes, priorRevision: stored.revision, duration: .now - started, failure: nil))
            }
        }
        storeLoaded = true
        recorder = CallRecorder(service: service)

        var httpConfiguration = HTTPServer.Configuration()
        httpConfiguration.host = configuration.host
        httpConfiguration.port = configuration.port
        httpConfiguration.maxBodyBytes = configuration.maxBodyBytes
        httpConfiguration.idleTimeoutSeconds = configuration.idleTimeoutSeconds
        httpConfiguration.maxConnections = configuration.maxConnections
        if let certificate = configuration.tlsCertificate, let key = configuration.tlsKey {
            httpConfiguration.tls = try TLSContext(certificatePath: certificate, keyPath: key, clientCAPath: configuration.tlsClientCA)
        }
        http = try HTTPServer(loop: loop, configuration: httpConfiguration) { [unowned self] request, responder in
            self.route(request, responder)
        }
        commitTrigger = loop.makeTrigger { [unowned self] in self.commit() }
        let send: (PendingReply, [UInt8]?, StoreError?) -> Void = { [unowned self] reply, body, failure in
            Self.send(reply.responder, body: body)
            self.answered(reply.calls, storeFailure: failure)
        }
        if let store {
            groupCommit = GroupCommit(
                service: service, store: store, send: send,
                scheduleCommit: { [unowned self] in self.commitTrigger?.activate() }
            )
            groupCommit?.onCommit = { [unowned self] report in self.committed(report) }
        } else if let postgres {
            let connection = PostgresConnection(conninfo: postgres.store.url, loop: loop, sessionStatements: PostgresLedgerStore.sessionStatements)
            replica = ReplicaCycle(
                service: service, store: postgres.store, connection: connection, clock: postgres.clock,
                position: postgres.snapshot.position, send: send,
                scheduleCycle: { [unowned self] in self.commitTrigger?.activate() }
            )
            replica?.onCommit = { [unowned self] report in self.committed(report) }
            replica?.onAvailability = { [unowned self] failure in self.databaseAvailability(failure) }
            connection.connect()
        }
        expiryTimer = loop.makeTimer { [unowned self] in self.sweep() }
        loop.onSignal(SIGTERM) { [unowned self] in self.loop.stop() }
        loop.onSignal(SIGINT) { [unowned self] in self.loop.stop() }
        loop.onSignal(SIGHUP) { [unowned self] in self.reloadTokens() }
        scheduleExpiry()
        logStartup()
    }

    /// The port actually bound (useful with port 0).
    public var boundPort: Int { http?.boundPort ?? 0 }

    /// A one-line summary for the start-up log.
    public var summary: String {
        "quotad listening on \(configuration.tlsCertificate == nil ? "http" : "https")://\(configuration.host):\(boundPort) store=\(storeDescription) revision=\(service.ledger.revision) pools=\(service.ledger.pools.count) leases=\(service.ledger.leases.count)(active \(service.ledger.leases.values.reduce(0) { $0 + ($1.state == .active ? 1 : 0) })) maxBodyBytes=\(configuration.maxBodyBytes) idleTimeout=\(configuration.idleTimeoutSeconds)s maxConnections=\(configuration.maxConnections) maxBatch=\(configuration.maxBatchSize) auth=\(authenticator.map { "tokens(\($0.tokens.entries.count) principals)" } ?? "none")"
    }

    /// Serves until SIGTERM or SIGINT, then stops gracefully: no new connections, the last pass's
    /// changes committed, and their replies written to the sockets (for at most
    /// ``drainSeconds``) before the connections close. Requests that arrive meanwhile get 503.
    public func run() throws {
        try loop.run()
        draining = true
        http?.stopAccepting()
        commit()
        let deadline = loop.monotonicNow() + Self.drainSeconds
        final class TimerBox { var timer: EventTimer? }
        let drain = TimerBox()
        drain.timer = loop.makeTimer { [unowned self] in
            let settled = (self.http?.pendingOutputBytes ?? 0) == 0 && self.replica?.isIdle != false
            if settled || self.loop.monotonicNow() >= deadline {
                self.loop.stop()
            } else {
                drain.timer?.schedule(afterSeconds: 0.01)
            }
        }
        drain.timer?.schedule(afterSeconds: 0)
        try loop.run()
        drain.timer = nil
        http?.close()
    }

    /// The most a graceful stop waits for replies to reach their sockets, in seconds.
    static let drainSeconds = 2.0

    // MARK: Group commit

    /// Queues or sends a JSON-RPC reply through the group commit, with the records of its calls.
    func reply(_ responder: HTTPResponder, body: [UInt8]?) {
        let pending = PendingReply(responder: responder, calls: recorder?.take() ?? [])
        if let replica {
            replica.reply(pending, body: body)
        } else {
            groupCommit?.reply(pending, body: body)
        }
    }

    /// Runs one HTTP request's JSON-RPC body and replies: now on the embedded stores (the reply
    /// then waits for the pass's group commit), in the next transaction on PostgreSQL.
    func handleRPC(_ body: [UInt8], context: CallContext, responder: HTTPResponder) {
        guard let replica else {
            return reply(responder, body: service.handle(body: body, context: context))
        }
        replica.submit(mayWrite: ReadOnlyCalls.mayWrite(body)) { [unowned self] in
            self.reply(responder, body: self.service.handle(body: body, context: context))
        }
    }

    /// Commits the pass's changes and answers everyone who waited, then re-arms the expiry timer;
    /// on PostgreSQL, starts the next transaction cycle if one is wanted.
    func commit() {
        if let replica {
            replica.run()
        } else {
            groupCommit?.commit()
        }
        scheduleExpiry()
    }

    /// True when /readyz answers 200: the store has loaded and its last commit did not fail; on
    /// PostgreSQL, connected and the last transaction succeeded.
    var isReady: Bool {
        guard storeLoaded else { return false }
        if let replica { return replica.isAvailable }
        return groupCommit?.lastCommitFailed != true
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
    /// The expiries are logged when committed, one line per commit (see ``committed(_:)``).
    /// After a failed commit with nothing to expire, it probes the store instead.
    func sweep() {
        if let replica {
            replica.requestSweep()
            return scheduleExpiry()
        }
        _ = service.expireDue()
        if service.hasPendingChanges {
            commitTrigger?.activate()
        } else {
            if groupCommit?.lastCommitFailed == true, groupCommit?.probe() == true { storeRecovered() }
            scheduleExpiry()
        }
    }

    /// Points the expiry timer at the ledger's next deadline; after a failed commit, 1 s away, so
    /// that a broken store is retried (or probed) once a second rather than on every loop pass.
    func scheduleExpiry() {
        guard let timer = expiryTimer else { return }
        if replica != nil {
            // A replica also sweeps once a second when nothing is due: it catches up with the
            // others, and learns whether the database answers (/readyz).
            // (At least 50 ms apart: a sweep that finds the revision row busy does nothing.)
            timer.schedule(afterSeconds: max(0.05, min(service.secondsUntilNextDeadline ?? 1, 1)))
        } else if groupCommit?.lastCommitFailed == true {
            timer.schedule(afterSeconds: 1)
        } else if let seconds = service.secondsUntilNextDeadline {
            timer.schedule(afterSeconds: min(seconds, 3600))
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
            logger.warning("SIGHUP: no --tokens file to reload", metadata: ["event": "tokens_reload"])
            return
        }
        do {
            let file = try TokensFile.load(path: path)
            authenticator = Authenticator(tokens: file)
            logger.notice("SIGHUP: reloaded \(file.entries.count) principal(s) from \(path)", metadata: ["event": "tokens_reload"])
        } catch {
            logger.error("SIGHUP: kept the previous tokens; \(error.reason)", metadata: ["event": "tokens_reload"])
        }
    }

    // MARK: HTTP

    static func sendJSON(_ responder: HTTPResponder, status: Int, body: [UInt8], headers: [(name: String, value: String)] = []) {
        responder.send(status: status, headers: [(name: "Content-Type", value: "application/json")] + headers, body: body)
    }
}
