extension Ledger {
    /// Applies rows that another quotad replica committed to the shared store (issue #9), so that
    /// this replica decides on the same state.
    ///
    /// Pools arrive with the derived sums their writer computed (``Pool/reserved``,
    /// ``Pool/activeLeases``) and are taken as they are; leases only move between the indexes
    /// (active by pool, the expiry and purge queues). A lease another replica expired or released
    /// leaves this replica's expiry queue as a stale entry, so it is freed exactly once. Nothing is
    /// journaled: these changes are committed already.
    /// - Parameter rows: the committed rows (nil deletes a pool or forgets a lease) and the revision
    ///   after them.
    /// - Precondition: no uncommitted change is pending (catch up before deciding).
    public mutating func applyCommitted(_ rows: ChangeSet) {
        precondition(journal.isEmpty, "applyCommitted with uncommitted changes pending")
        // Pools first: a lease's indexes do not depend on them, but a reader of both sees them settled.
        for (path, pool) in rows.pools { store(pool: pool, at: path) }
        for (id, lease) in rows.leases { store(lease: lease, id: id) }
        revision = rows.revision
    }
}
