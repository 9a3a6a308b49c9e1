internal import CLibpq
import EventHTTP

/// One connection to PostgreSQL driven from the libevent loop through libpq's asynchronous API:
/// `PQconnectStart`/`PQconnectPoll` to connect, pipeline mode (`PQenterPipelineMode`) to send a
/// whole exchange of statements in one round trip, and `PQconsumeInput`/`PQgetResult` on the
/// socket's readiness. The loop never waits on the database.
///
/// It runs one exchange at a time (the caller's transaction). When the connection breaks, the
/// exchange in flight fails with ``PostgresError/connection(_:)``, ``onLost`` is told, and it
/// reconnects by itself with exponential backoff (0.1 s doubling to 5 s), then calls ``onReady``.
/// Loop thread only.
public final class PostgresConnection {
    /// The libpq connection string or URI.
    let conninfo: String
    /// Statements run on every new connection before it is ready (session settings).
    let sessionStatements: [PostgresStatement]
    let loop: EventLoop
    /// Called each time a connection is established and ready for exchanges.
    public var onReady: (() -> Void)?
    /// Called when a connection attempt fails or an established connection breaks, with why.
    public var onLost: ((PostgresError) -> Void)?

    private var connection: OpaquePointer?
    private var watcher: EventWatcher?
    private var retryTimer: EventTimer?
    private var connectTimer: EventTimer?
    /// Fires when an exchange has waited ``exchangeTimeoutSeconds`` for its results.
    private var exchangeTimer: EventTimer?
    private var backoffSeconds = PostgresConnection.initialBackoffSeconds
    private var exchange: Exchange?
    private var stopped = false
    /// The host lists each attempt may start from (``ConnectionParameters/hostRotations(of:)``),
    /// and the one the next attempt starts from: it moves on after an attempt that failed.
    private lazy var hostRotations = ConnectionParameters.hostRotations(of: conninfo)
    private var firstHost = 0

    /// True once connected, in pipeline mode and set up (``sessionStatements``): ready for the
    /// owner's exchanges.
    public private(set) var isReady = false
    /// True once connected and in pipeline mode (the session statements may still run).
    private var isConnected = false
    /// True while an exchange waits for its results.
    public var isBusy: Bool { exchange != nil }
    /// Seconds a connection attempt may take.
    public var connectTimeoutSeconds = 5.0
    /// Seconds an exchange may wait for its results before the connection is taken for dead,
    /// dropped (the exchange fails with ``PostgresError/connection(_:)``) and made again. A server
    /// that stops answering without closing the socket (a stalled backend, a partition that drops
    /// packets) would otherwise hold the exchange, and every call waiting behind it, forever.
    /// Longer than the replica's `statement_timeout` plus `lock_timeout`, so that the server's own
    /// limits end a slow statement first.
    public var exchangeTimeoutSeconds = 40.0

    static let initialBackoffSeconds = 0.1
    static let maximumBackoffSeconds = 5.0

    /// The statements of one exchange and the results gathered so far.
    private struct Exchange {
        var count: Int
        var results: [Result<PostgresResult, PostgresError>] = []
        /// True once the current statement's result was taken; its NULL terminator comes next.
        var currentAnswered = false
        let completion: (Result<[PostgresResult], PostgresError>) -> Void
    }

    /// A connection, not yet started: call ``connect()``.
    /// - Parameters:
    ///   - conninfo: a libpq connection URI or key-value string (the password may come from
    ///     `PGPASSWORD` or `~/.pgpass`, as libpq reads them).
    ///   - loop: the loop whose thread drives the connection.
    ///   - sessionStatements: run on every new connection, in one exchange, before ``onReady``
    ///     (`SET lock_timeout = …`); when they fail, the connection is dropped and retried.
    public init(conninfo: String, loop: EventLoop, sessionStatements: [PostgresStatement] = []) {
        self.conninfo = conninfo
        self.loop = loop
        self.sessionStatements = sessionStatements
    }

    deinit {
        watcher = nil
        if let connection { PQfinish(connection) }
    }

    /// Connects (again). Does nothing while connected or connecting.
    public func connect() {
        guard connection == nil, !stopped else { return }
        let overrides = hostRotations.isEmpty ? [] : hostRotations[firstHost % hostRotations.count]
        let opening = overrides.isEmpty
            ? PQconnectStart(conninfo)
            : ConnectionParameters.withArrays([(keyword: "dbname", value: conninfo)] + overrides) { keywords, values in
                PQconnectStartParams(keywords, values, 1)
            }
        guard let started = opening else {
            return disconnect(.connection("out of memory"))
        }
        connection = started
        guard PQstatus(started) != CONNECTION_BAD else {
            return disconnect(.connection(String(cString: PQerrorMessage(started)).trimmed))
        }
        connectTimer = loop.makeTimer { [unowned self] in
            self.disconnect(.connection("no connection within \(self.connectTimeoutSeconds) s"))
        }
        connectTimer?.schedule(afterSeconds: connectTimeoutSeconds)
        // libpq's first step is to write (PGRES_POLLING_WRITING), per its documentation.
        pollConnect(PGRES_POLLING_WRITING)
    }

    /// Closes the connection for good: no reconnects; an exchange in flight fails.
    public func close() {
        stopped = true
        retryTimer = nil
        disconnect(.connection("closed"))
    }

    /// Sends statements in one pipeline and calls `completion` with every result, in order, once
    /// the pipeline's sync point is reached; or with the first error (a failed statement makes the
    /// server skip the rest until the sync point). Inside an explicit transaction, a failure leaves
    /// the transaction aborted: send `ROLLBACK` next.
    /// - Parameters:
    ///   - statements: at least one statement.
    ///   - completion: runs on the loop thread.
    public func execute(_ statements: [PostgresStatement], completion: @escaping (Result<[PostgresResult], PostgresError>) -> Void) {
        guard isConnected, let connection, exchange == nil else {
            return completion(.failure(.connection(isConnected ? "an exchange is already in flight" : "not connected")))
        }
        for statement in statements {
            guard send(statement, on: connection) else {
                let error = PostgresError.connection(String(cString: PQerrorMessage(connection)).trimmed)
                completion(.failure(error))
                return disconnect(error)
            }
        }
        guard PQpipelineSync(connection) == 1 else {
            let error = PostgresError.connection(String(cString: PQerrorMessage(connection)).trimmed)
            completion(.failure(error))
            return disconnect(error)
        }
        exchange = Exchange(count: statements.count, completion: completion)
        if exchangeTimer == nil {
            exchangeTimer = loop.makeTimer { [unowned self] in
                guard self.exchange != nil else { return }
                self.disconnect(.connection("no answer within \(self.exchangeTimeoutSeconds) s"))
            }
        }
        exchangeTimer?.schedule(afterSeconds: exchangeTimeoutSeconds)
        flush()
    }

    private func send(_ statement: PostgresStatement, on connection: OpaquePointer) -> Bool {
        statement.withCParameters { values, count in
            PQsendQueryParams(connection, statement.sql, count, nil, values, nil, nil, 0) == 1
        }
    }

    // MARK: Connecting

    private func pollConnect(_ status: PostgresPollingStatusType) {
        guard let connection else { return }
        switch status {
        case PGRES_POLLING_OK:
            connectTimer = nil
            guard PQsetnonblocking(connection, 1) == 0, PQenterPipelineMode(connection) == 1 else {
                return disconnect(.connection(String(cString: PQerrorMessage(connection)).trimmed))
            }
            PQsetNoticeProcessor(connection, { _, _ in }, nil)
            watch(readable: true, writable: false)
            isConnected = true
            guard !sessionStatements.isEmpty else { return established() }
            execute(sessionStatements) { [unowned self] result in
                switch result {
                case .success: self.established()
                case .failure(let error): self.disconnect(error)
                }
            }
        case PGRES_POLLING_READING:
            watch(readable: true, writable: false)
        case PGRES_POLLING_WRITING:
            watch(readable: false, writable: true)
        default:
            disconnect(.connection(String(cString: PQerrorMessage(connection)).trimmed))
        }
    }

    /// The connection is ready for the owner's exchanges.
    private func established() {
        isReady = true
        backoffSeconds = Self.initialBackoffSeconds
        onReady?()
    }

    /// Points the watcher at libpq's current socket (it may change while connecting).
    private func watch(readable: Bool, writable: Bool) {
        guard let connection else { return }
        let descriptor = PQsocket(connection)
        guard descriptor >= 0 else { return disconnect(.connection("libpq has no socket")) }
        // While connecting, libpq may close its socket and open another (the next host of a
        // multi-host URL, a retry without SSL), which often gets the same number. libevent still
        // counts the old events on that number (this may run inside their callback, which keeps
        // the old watcher alive), so it would never register the new socket with epoll, and the
        // attempt would wait for its timeout, every time. So each step unregisters the old events
        // first (`stop`) and watches afresh.
        if watcher?.descriptor != descriptor || !isConnected {
            watcher?.stop()
            watcher = nil
            watcher = loop.makeWatcher(descriptor: descriptor) { [unowned self] readiness in self.ready(readiness) }
        }
        watcher?.watchReadable(readable)
        watcher?.watchWritable(writable)
    }

    private func ready(_ readiness: EventWatcher.Readiness) {
        guard let connection else { return }
        guard isConnected else { return pollConnect(PQconnectPoll(connection)) }
        switch readiness {
        case .writable: flush()
        case .readable: receive()
        }
    }

    // MARK: Exchanging

    /// Sends what libpq has buffered; watches for writability while some remains.
    private func flush() {
        guard let connection else { return }
        switch PQflush(connection) {
        case 0: watcher?.watchWritable(false)
        case 1: watcher?.watchWritable(true)
        default: disconnect(.connection(String(cString: PQerrorMessage(connection)).trimmed))
        }
    }

    /// Reads what arrived and hands out the results that are complete.
    private func receive() {
        guard let connection else { return }
        guard PQconsumeInput(connection) == 1 else {
            return disconnect(.connection(String(cString: PQerrorMessage(connection)).trimmed))
        }
        // A completion may start the next exchange, or close the connection: re-read it each time.
        while let connection = self.connection, exchange != nil, PQisBusy(connection) == 0 {
            let result = PQgetResult(connection)
            guard var current = exchange else {
                if let result { PQclear(result) }
                continue
            }
            guard let result else {
                // The end of one statement's results.
                current.currentAnswered = false
                exchange = current
                continue
            }
            if PQresultStatus(result) == PGRES_PIPELINE_SYNC {
                PQclear(result)
                exchange = nil
                exchangeTimer?.cancel()
                let failure = current.results.lazy.compactMap { outcome -> PostgresError? in
                    if case .failure(let error) = outcome { return error }
                    return nil
                }.first
                if let failure {
                    current.completion(.failure(failure))
                } else if current.results.count != current.count {
                    current.completion(.failure(.unexpected("\(current.results.count) results for \(current.count) statements")))
                } else {
                    current.completion(.success(current.results.map { try! $0.get() }))
                }
                continue
            }
            if current.currentAnswered {
                PQclear(result)  // A statement's extra result (none of ours has one).
            } else {
                current.results.append(PostgresResult.take(result, connection: connection))
                current.currentAnswered = true
            }
            exchange = current
        }
        if let connection = self.connection, PQstatus(connection) == CONNECTION_BAD {
            disconnect(.connection(String(cString: PQerrorMessage(connection)).trimmed))
        }
    }

    // MARK: Losing

    /// Drops the connection, fails the exchange in flight, tells ``onLost`` and schedules a reconnect.
    private func disconnect(_ error: PostgresError) {
        if !isReady { firstHost += 1 }
        let failed = exchange
        exchange = nil
        exchangeTimer?.cancel()
        watcher?.stop()
        watcher = nil
        connectTimer = nil
        if let connection { PQfinish(connection) }
        connection = nil
        isReady = false
        isConnected = false
        failed?.completion(.failure(error))
        onLost?(error)
        guard !stopped else { return }
        if retryTimer == nil { retryTimer = loop.makeTimer { [unowned self] in self.connect() } }
        retryTimer?.schedule(afterSeconds: backoffSeconds)
        backoffSeconds = min(backoffSeconds * 2, Self.maximumBackoffSeconds)
    }
}
