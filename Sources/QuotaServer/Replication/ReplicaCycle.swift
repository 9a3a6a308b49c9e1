import QuotaCore
import QuotaPostgres
import QuotaStore

/// quotad as one of several replicas on one PostgreSQL database (issue #9): the calls of a loop
/// pass are decided inside one database transaction, by the same pure core as the embedded store.
///
/// One cycle, at most one in flight:
/// 1. `BEGIN`; lock the revision row; read the database's clock and every row committed since
///    this replica's last cycle (one pipelined round trip, ``PostgresLedgerStore/catchUpStatements(since:lock:)``).
/// 2. Apply those rows to the ledger (``QuotaCore/Ledger/applyCommitted(_:)``), set the clock, expire
///    what is due, run the queued calls. A read is answered now: it saw the database's state.
/// 3. Write what the calls changed and `COMMIT` (a second round trip); answer the changes only
///    when the commit succeeded, else roll the ledger back and answer them -32001.
///
/// A cycle whose requests can only read (``ReadOnlyCalls``), and that has no sweep to do, takes
/// no lock: a read-only repeatable-read snapshot instead. A request in it that changes something
/// after all is undone and queued again, first, for a cycle with the lock.
///
/// Calls that arrive meanwhile wait for the next cycle. While the connection is down, calls are
/// answered -32001 at once, reads too: this replica's copy may be stale, so it does not answer from it.
/// Loop thread only.
final class ReplicaCycle<Reply> {
    let service: QuotaService
    let store: PostgresLedgerStore
    let connection: PostgresConnection
    let clock: DatabaseClock
    private let send: (Reply, [UInt8]?, StoreError?) -> Void
    private let scheduleCycle: () -> Void
    /// Told about every cycle that had changes to write, after it committed or failed.
    var onCommit: ((CommitReport) -> Void)?

    /// A request waiting for a cycle.
    struct Call {
        /// Runs the request's JSON-RPC body and hands its reply to ``reply(_:body:)``; may run again.
        let run: () -> Void
        /// False when the request can only read (``ReadOnlyCalls``): it may be answered without the lock.
        var mayWrite: Bool
    }

    /// Calls waiting for the next cycle.
    private var queued: [Call] = []
    /// True when the next cycle should expire due leases (the expiry timer, or a heartbeat).
    private var sweepWanted = false
    /// True when the last cycle was read-only and left a wanted sweep to this one.
    private var sweepPostponed = false
    /// True when a read-only cycle found a lease past its deadline: the next cycle takes the lock
    /// and expires before it answers.
    private var expiryOverdue = false
    /// True while a cycle's transaction is in flight.
    private var running = false
    /// The replies of the cycle's calls; non-nil only while they run.
    private var collecting: [(reply: Reply, body: [UInt8]?)]?
    /// The last commit this replica has applied.
    private(set) var position: PostgresLedgerStore.CommitPosition
    /// Why the database cannot be used now; nil when the last cycle succeeded.
    private(set) var failure: StoreError? {
        didSet { if (oldValue == nil) != (failure == nil) { onAvailability?(failure) } }
    }
    /// Told when the database stops answering (with why) and when it answers again (nil).
    var onAvailability: ((StoreError?) -> Void)?
    /// True until the first connection has succeeded or failed: calls wait for it rather than fail.
    private var connecting = true
    /// How long one cycle runs calls (each runs whole; the first always runs) while it holds the
    /// revision row; the rest wait for the next cycle.
    static var callBudget: Duration { .seconds(1) }

    /// - Parameters:
    ///   - service: whose ledger this replica keeps.
    ///   - store: the statements and rows.
    ///   - connection: the connection the cycles run on; its callbacks are taken over.
    ///   - clock: the service's clock, synchronized with the database's in every cycle.
    ///   - position: the last commit the service's ledger includes.
    ///   - send: sends one reply, with the store's error when the commit it waited for failed.
    ///   - scheduleCycle: arranges for ``run()`` at the end of the current loop pass.
    init(
        service: QuotaService, store: PostgresLedgerStore, connection: PostgresConnection, clock: DatabaseClock,
        position: PostgresLedgerStore.CommitPosition, send: @escaping (Reply, [UInt8]?, StoreError?) -> Void, scheduleCycle: @escaping () -> Void
    ) {
        self.service = service
        self.store = store
        self.connection = connection
        self.clock = clock
        self.position = position
        self.send = send
        self.scheduleCycle = scheduleCycle
        connection.onReady = { [unowned self] in
            self.connecting = false
            // Catch up at once, so that /readyz turns 200 without waiting for a call.
            self.requestSweep()
        }
        connection.onLost = { [unowned self] error in
            self.connecting = false
            self.failure = .unavailable("\(error)")
            self.scheduleCycle()
        }
    }

    /// True when the database answered the last cycle.
    var isAvailable: Bool { !connecting && connection.isReady && failure == nil }

    /// True when no call waits and no transaction is in flight.
    var isIdle: Bool { !running && queued.isEmpty }

    /// Queues a request for the next cycle.
    /// - Parameters:
    ///   - mayWrite: false when the request can only read; a wrong false costs a second run.
    ///   - call: runs the request and hands its reply to ``reply(_:body:)``.
    func submit(mayWrite: Bool, _ call: @escaping () -> Void) {
        queued.append(Call(run: call, mayWrite: mayWrite))
        scheduleCycle()
    }

    /// Asks for a cycle that expires due leases (and catches up, and checks the connection).
    func requestSweep() {
        sweepWanted = true
        scheduleCycle()
    }

    /// Takes the reply of a call run by the cycle.
    func reply(_ reply: Reply, body: [UInt8]?) {
        if collecting != nil {
            collecting?.append((reply, body))
        } else {
            send(reply, body, nil)
        }
    }

    /// Starts a cycle when one is wanted and none is in flight.
    func run() {
        guard !running, !queued.isEmpty || sweepWanted else { return }
        if connecting { return }
        // The kind of cycle:
        // - a request may write: take the lock, waiting for it; a wanted sweep comes along;
        // - a sweep with no request, or one postponed once already: take the lock only if it is
        //   free (another replica may be writing, and will sweep too), leaving any reads queued;
        // - only reads: a snapshot without the lock, so they go on while writers hold it; a
        //   wanted sweep is postponed to the next cycle, so a stream of reads cannot hold it back;
        // - reads that found a lease past its deadline (``expiryOverdue``): take the lock, waiting,
        //   expire, then answer them, so that no answer shows a lease alive past its deadline.
        let writes = queued.contains { $0.mayWrite }
        let lock: PostgresLedgerStore.RevisionLock
        let calls: [Call]
        if writes || expiryOverdue {
            lock = .wait
            calls = queued
        } else if sweepWanted && (queued.isEmpty || sweepPostponed) {
            lock = .skipIfBusy
            calls = []
        } else {
            lock = .none
            calls = queued
        }
        let sweep = (sweepWanted || expiryOverdue) && lock != .none
        sweepPostponed = sweepWanted && lock == .none
        if lock != .none { sweepWanted = false }
        if lock == .wait { expiryOverdue = false }
        if lock != .skipIfBusy { queued = [] }
        guard connection.isReady else {
            sweepWanted = false
            sweepPostponed = false
            expiryOverdue = false
            let waiting = lock == .skipIfBusy ? queued : []
            queued = []
            return refuse(calls + waiting, failure ?? .unavailable("no connection to PostgreSQL"))
        }
        running = true
        let since = position
        let locking = lock != .none
        connection.execute(store.catchUpStatements(since: since, lock: lock)) { [unowned self] result in
            switch result {
            case .failure(let error):
                self.abort(calls, .unavailable("\(error)"))
            case .success(let results):
                let caughtUp: PostgresLedgerStore.CatchUp?
                do throws(StoreError) {
                    caughtUp = try self.store.catchUp(results, since: since)
                } catch {
                    return self.abort(calls, error)
                }
                guard let catchUp = caughtUp else {
                    // The row is busy: someone is writing (and will sweep). The database
                    // answered; the timer asks again.
                    return self.endTransaction("ROLLBACK")
                }
                guard catchUp.needsReload else {
                    self.service.ledger.applyCommitted(catchUp.changes)
                    return self.decide(calls, sweep: sweep, locking: locking, caughtUp: catchUp)
                }
                self.connection.execute(self.store.reloadStatements()) { [unowned self] result in
                    do throws(StoreError) {
                        let results: [PostgresResult]
                        switch result {
                        case .success(let value): results = value
                        case .failure(let error): throw .unavailable("\(error)")
                        }
                        let stored = try self.store.reload(results, revision: catchUp.meta.revision)
                        self.service.ledger = Ledger(
                            restoringPools: stored.pools, leases: stored.leases, revision: stored.revision,
                            retentionSeconds: self.service.ledger.retentionSeconds
                        )
                        self.decide(calls, sweep: sweep, locking: locking, caughtUp: catchUp)
                    } catch {
                        self.abort(calls, error)
                    }
                }
            }
        }
    }

    /// Step 2 and 3: decide on the caught-up ledger, answer reads, write and commit the changes.
    /// Without the lock, a request that changes something anyway is undone and queued again for a
    /// cycle that takes the lock.
    private func decide(_ calls: [Call], sweep: Bool, locking: Bool, caughtUp: PostgresLedgerStore.CatchUp) {
        position = caughtUp.meta.position
        clock.synchronize(databaseNow: caughtUp.databaseNow)
        if !locking && service.hasDueWork {
            // A lease is past its deadline and not yet expired (by anyone): answering now would
            // show it alive. Expire first, under the lock, then answer these reads.
            queued.insert(contentsOf: calls, at: 0)
            expiryOverdue = true
            return endTransaction("COMMIT")
        }
        if sweep {
            _ = service.expireDue()
            // A storm is freed a slice per cycle, so calls are answered between slices.
            if service.hasDueWork { sweepWanted = true }
        }
        collecting = []
        // The revision row stays locked while the calls run, and the server ends a transaction
        // idle for `idle_in_transaction_session_timeout` (5 s): so a cycle runs calls for about
        // `callBudget` at most, and leaves the rest, in order, to the next one. A burst of heavy
        // requests then commits in slices instead of failing whole, and the others wait less.
        // Without the lock, a request that changes something after all is undone and run again
        // in a cycle with the lock.
        var deferred: [Call] = []
        let budgetEnd = ContinuousClock.now + Self.callBudget
        for (index, call) in calls.enumerated() {
            if index > 0 && ContinuousClock.now >= budgetEnd {
                deferred.append(contentsOf: calls[index...])
                break
            }
            let answered = collecting?.count ?? 0
            call.run()
            if !locking, service.hasPendingChanges {
                service.rollbackUncommitted()
                collecting?.removeSubrange(answered...)
                deferred.append(Call(run: call.run, mayWrite: true))
            }
        }
        queued.insert(contentsOf: deferred, at: 0)
        let replies = collecting ?? []
        collecting = nil
        guard let changes = service.pendingChanges else {
            // Nothing to write: what was read is committed state. Answer, then end the transaction.
            for reply in replies { send(reply.reply, reply.body, nil) }
            return endTransaction("COMMIT")
        }
        let priorRevision = caughtUp.meta.revision
        let started = ContinuousClock.now
        let next = PostgresLedgerStore.CommitPosition(sequence: position.sequence + 1, token: PostgresLedgerStore.CommitPosition.newToken())
        connection.execute(store.commitStatements(changes, at: next)) { [unowned self] result in
            var failure: StoreError?
            switch result {
            case .success:
                self.service.acknowledgeCommit()
                self.position = next
                self.failure = nil
                for reply in replies { self.send(reply.reply, reply.body, nil) }
            case .failure(let error):
                // A connection lost after COMMIT was sent leaves the outcome unknown; a retry of
                // the same call finds out (reserve, release and renew are idempotent by lease id).
                // A statement the server refused rolled the whole transaction back.
                let failed: StoreError = if case .connection = error {
                    .unavailable("\(error); the change may or may not have been committed, retry it")
                } else {
                    .unavailable("\(error); nothing was committed")
                }
                failure = failed
                self.service.rollbackUncommitted()
                self.failure = failed
                for reply in replies { self.send(reply.reply, reply.body.map { GroupCommit<Reply>.storeFailureBody(replacing: $0, failure: failed) }, failed) }
            }
            self.onCommit?(CommitReport(changes: changes, priorRevision: priorRevision, duration: .now - started, failure: failure))
            if failure != nil { return self.endFailedTransaction() }
            self.finish()
        }
    }

    /// The transaction failed before its commit: answer every call -32001 and roll back.
    private func abort(_ calls: [Call], _ error: StoreError) {
        failure = error
        refuse(calls, error)
        endFailedTransaction()
    }

    /// Answers calls -32001 with their ids, changing nothing: each runs on the ledger as it is and
    /// whatever it changed is rolled back before its reply is replaced.
    private func refuse(_ calls: [Call], _ error: StoreError) {
        guard !calls.isEmpty else { return }
        collecting = []
        for call in calls { call.run() }
        let replies = collecting ?? []
        collecting = nil
        service.rollbackUncommitted()
        for reply in replies { send(reply.reply, reply.body.map { GroupCommit<Reply>.storeFailureBody(replacing: $0, failure: error) }, error) }
    }

    /// Sends ROLLBACK when the connection still stands (an aborted transaction needs it), then finishes.
    private func endFailedTransaction() {
        guard connection.isReady, !connection.isBusy else { return finish() }
        connection.execute([PostgresStatement("ROLLBACK")]) { [unowned self] _ in self.finish() }
    }

    /// Ends a transaction that wrote nothing (`COMMIT` or `ROLLBACK`); the database answered, or
    /// did not, and ``failure`` says which. Then finishes the cycle.
    private func endTransaction(_ sql: String) {
        connection.execute([PostgresStatement(sql)]) { [unowned self] result in
            if case .failure(let error) = result { self.failure = .unavailable("\(error)") } else { self.failure = nil }
            self.finish()
        }
    }

    private func finish() {
        running = false
        if !queued.isEmpty || sweepWanted { scheduleCycle() }
    }
}
