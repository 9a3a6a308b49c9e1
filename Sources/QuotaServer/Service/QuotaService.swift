import JSON
import JSONRPC
import QuotaCore
import QuotaStore

/// quotad's JSON-RPC methods over one ``Ledger``: decode params, decide in the core, encode results.
///
/// Confined to the event-loop thread, hence no locks. It is `@unchecked Sendable` only because the
/// dispatcher's handlers are `@Sendable` closures that capture it; the confinement is guaranteed by
/// the single libevent loop, not by Swift concurrency. It does no I/O itself: the
/// ``QuotaServer`` commits ``Ledger/pendingChanges`` to the store after each loop pass and only
/// then sends the replies.
public final class QuotaService: @unchecked Sendable {
    /// The state. Public for tests and the server's group commit.
    public internal(set) var ledger: Ledger
    let clock: any LedgerClock
    /// The OpenRPC document that `rpc.discover` returns.
    let openRPCDocument: JSONValue
    var dispatcher: JSONRPCDispatcher<CallContext>

    /// The most leases expired in one sweep, so that an expiry storm is freed in slices and other
    /// requests are answered between them.
    public static let expirySliceSize = 1000

    /// A service over a stored ledger.
    /// - Parameters:
    ///   - stored: the state read from the store.
    ///   - clock: the time source.
    ///   - openRPCDocument: what `rpc.discover` returns.
    ///   - retentionSeconds: how long released and expired leases are remembered.
    ///   - maxBatchSize: the most calls in one JSON-RPC batch.
    public init(
        stored: StoredLedger, clock: any LedgerClock, openRPCDocument: JSONValue,
        retentionSeconds: Int64 = 3600, maxBatchSize: Int = 1000
    ) {
        self.ledger = Ledger(restoringPools: stored.pools, leases: stored.leases, revision: stored.revision, retentionSeconds: retentionSeconds)
        self.clock = clock
        self.openRPCDocument = openRPCDocument
        self.dispatcher = JSONRPCDispatcher(maxBatchSize: maxBatchSize)
        registerMethods()
    }

    /// The names of every method the service answers.
    public var methodNames: [String] { dispatcher.methodNames }

    /// Runs one HTTP body of JSON-RPC: a call or a batch.
    /// - Parameters:
    ///   - body: the request body.
    ///   - context: who calls.
    /// - Returns: the encoded response, or nil when only notifications were sent (HTTP 204).
    public func handle(body: [UInt8], context: CallContext = CallContext()) -> [UInt8]? {
        dispatcher.handle(body: body, context: context)
    }

    /// Expires due leases, at most ``expirySliceSize`` per call.
    /// - Returns: the leases expired.
    public func expireDue() -> [Lease] {
        ledger.expireDue(now: clock.now(), limit: Self.expirySliceSize)
    }

    /// True when some lease is due to expire, or some ended lease due to be forgotten, now.
    public var hasDueWork: Bool { ledger.hasDueWork(now: clock.now()) }

    /// Seconds until the ledger next has expiry work, 0 when it has some now, nil when none is scheduled.
    public var secondsUntilNextDeadline: Double? {
        guard let deadline = ledger.nextDeadline else { return nil }
        let nanos = deadline.nanosecondsSinceEpoch - clock.now().nanosecondsSinceEpoch
        return max(0, Double(nanos) / 1e9)
    }

    /// The pending changes, for the group commit. Building them reads every changed pool and
    /// lease: to ask whether there are any, use ``hasPendingChanges``.
    public var pendingChanges: ChangeSet? { ledger.hasPendingChanges ? ledger.pendingChanges : nil }

    /// True when the ledger has changes not yet committed (cheap: builds no ``ChangeSet``).
    public var hasPendingChanges: Bool { ledger.hasPendingChanges }

    /// The group commit succeeded.
    public func acknowledgeCommit() { ledger.acknowledgeCommit() }

    /// The group commit failed: undo everything since the last successful one.
    public func rollbackUncommitted() { ledger.rollbackUncommitted() }
}
