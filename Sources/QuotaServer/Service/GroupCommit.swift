import JSON
import JSONRPC
import QuotaCore
import QuotaStore

/// The group commit: replies of one loop pass wait until every change of the pass is written in
/// one store transaction, then go out together (issue #2, "Durability").
///
/// Generic over the reply handle so the rule can be tested without sockets; the server uses
/// ``EventHTTP/HTTPResponder`` with the pass's call records. Loop-thread only, like the service it
/// commits for. Every commit is reported to ``onCommit`` (duration, changes, failure) for metrics,
/// logs and readiness (issue #7).
final class GroupCommit<Reply> {
    let service: QuotaService
    let store: any LedgerStore
    /// Sends a reply: the JSON-RPC response body, or nil for 204 No Content, and the store's error
    /// when the commit the reply waited for failed (the body then says -32001).
    private let send: (Reply, [UInt8]?, StoreError?) -> Void
    /// Asks the loop to call ``commit()`` at the end of the current pass.
    private let scheduleCommit: () -> Void
    /// Replies waiting for the current pass's commit.
    private var pending: [(reply: Reply, body: [UInt8]?)] = []
    /// True after a failed commit, until a commit or a ``probe()`` succeeds.
    private(set) var lastCommitFailed = false
    /// The revision of the last successful commit (of the ledger as loaded, at first).
    private(set) var committedRevision: Int64
    /// Told about every commit that had changes to write, after it succeeded or failed.
    var onCommit: ((CommitReport) -> Void)?

    /// - Parameters:
    ///   - service: whose ledger is committed.
    ///   - store: where it is committed.
    ///   - send: sends one reply.
    ///   - scheduleCommit: arranges for ``commit()`` to run once at the end of the loop pass.
    init(service: QuotaService, store: any LedgerStore, send: @escaping (Reply, [UInt8]?, StoreError?) -> Void, scheduleCommit: @escaping () -> Void) {
        self.service = service
        self.store = store
        self.send = send
        self.scheduleCommit = scheduleCommit
        self.committedRevision = service.ledger.revision
    }

    /// Queues a reply behind the pass's commit when the pass has changes (or earlier replies
    /// already wait, so that no reply reveals a change before it is durable); else sends it now.
    /// - Parameters:
    ///   - reply: where the reply goes.
    ///   - body: the JSON-RPC response, or nil for 204 (only notifications were sent).
    func reply(_ reply: Reply, body: [UInt8]?) {
        if service.hasPendingChanges || !pending.isEmpty {
            pending.append((reply, body))
            scheduleCommit()
        } else {
            send(reply, body, nil)
        }
    }

    /// Writes the pass's changes in one transaction, then answers everyone who waited for it.
    /// When the store fails, the changes are rolled back in memory and each waiting call is
    /// answered -32001 with its id, so nothing half-applied remains and nothing unwritten is
    /// reported.
    /// - Returns: the store's error, or nil when the commit succeeded or there was nothing to write.
    @discardableResult
    func commit() -> StoreError? {
        var replies = pending
        pending = []
        var failure: StoreError?
        if let changes = service.pendingChanges {
            let priorRevision = committedRevision
            let started = ContinuousClock.now
            do {
                try store.commit(changes)
                service.acknowledgeCommit()
            } catch {
                service.rollbackUncommitted()
                failure = error
                replies = replies.map { ($0.reply, $0.body.map { Self.storeFailureBody(replacing: $0, failure: error) }) }
            }
            lastCommitFailed = failure != nil
            if failure == nil { committedRevision = changes.revision }
            onCommit?(CommitReport(changes: changes, priorRevision: priorRevision, duration: .now - started, failure: failure))
        }
        for reply in replies { send(reply.reply, reply.body, failure) }
        return failure
    }

    /// After a failed commit, when nothing waits to be written: writes an empty transaction (the
    /// unchanged revision) to learn whether the store works again, so that readiness comes back
    /// without waiting for a client's change (a client may send none while /readyz says 503).
    /// - Returns: true when the store committed.
    @discardableResult
    func probe() -> Bool {
        guard lastCommitFailed, !service.hasPendingChanges else { return !lastCommitFailed }
        do {
            try store.commit(ChangeSet(pools: [:], leases: [:], revision: service.ledger.revision))
            lastCommitFailed = false
        } catch {}
        return !lastCommitFailed
    }

    /// The same response with every call's result replaced by -32001, ids kept.
    static func storeFailureBody(replacing body: [UInt8], failure storeError: StoreError) -> [UInt8] {
        let failure = JSONRPCError.storeUnavailable(storeError.detail)
        func fail(_ response: JSONValue) -> JSONValue {
            guard case .object(let object) = response else { return response }
            var replaced = JSONObject()
            replaced.append("jsonrpc", "2.0")
            replaced.append("error", failure.json)
            replaced.append("id", object["id"] ?? .null)
            return .object(replaced)
        }
        guard let parsed = try? JSONReader.parse(body) else { return body }
        switch parsed {
        case .array(let responses): return JSONWriter.serialize(.array(responses.map(fail)))
        default: return JSONWriter.serialize(fail(parsed))
        }
    }
}
