import QuotaCore

/// Where the ledger is made durable. The event loop calls it once per loop pass with everything
/// changed in that pass (a group commit) and answers the callers only after it returns.
public protocol LedgerStore: AnyObject {
    /// A short description for logs, e.g. `sqlite:/var/lib/quotad/quotad.sqlite`.
    var description: String { get }

    /// Reads the whole stored state.
    /// - Returns: pools, leases and the global revision.
    /// - Throws: ``StoreError`` when the store cannot be read or holds something that is not quotad's.
    func load() throws(StoreError) -> StoredLedger

    /// Writes a change set atomically and durably (fsynced) before returning.
    /// - Parameter changes: the rows to write.
    /// - Throws: ``StoreError/unavailable(_:)`` when nothing was written; the caller rolls the
    ///   in-memory changes back and answers -32001.
    func commit(_ changes: ChangeSet) throws(StoreError)
}

/// The state a store holds.
public struct StoredLedger: Sendable {
    public var pools: [Pool]
    public var leases: [Lease]
    public var revision: Int64

    public init(pools: [Pool], leases: [Lease], revision: Int64) {
        self.pools = pools
        self.leases = leases
        self.revision = revision
    }
}

/// A store failure.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The store cannot commit now (read-only directory, full disk, I/O error); JSON-RPC -32001.
    case unavailable(String)
    /// The store cannot be opened: locked by another quotad, a foreign or corrupt file, no access.
    case cannotOpen(String)

    /// What went wrong, without the "store unavailable" prefix.
    public var detail: String {
        switch self {
        case .unavailable(let detail), .cannotOpen(let detail): detail
        }
    }

    public var description: String {
        switch self {
        case .unavailable(let detail): "store unavailable: \(detail)"
        case .cannotOpen(let detail): detail
        }
    }
}
