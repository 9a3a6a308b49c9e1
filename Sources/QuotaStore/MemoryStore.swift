import QuotaCore

/// A throw-away store (`--store memory`): commits succeed and nothing survives the process.
public final class MemoryStore: LedgerStore {
    public init() {}

    public var description: String { "memory" }

    public func load() throws(StoreError) -> StoredLedger {
        StoredLedger(pools: [], leases: [], revision: 0)
    }

    public func commit(_ changes: ChangeSet) throws(StoreError) {}
}
