import QuotaCore
import QuotaStore

/// One group commit as metrics and logs see it (issue #7).
struct CommitReport {
    /// What was written (or refused).
    var changes: ChangeSet
    /// The revision of the commit before this one.
    var priorRevision: Int64
    /// How long the store took, failed commits included.
    var duration: Duration
    /// The store's error; nil when the commit succeeded.
    var failure: StoreError?

    /// Ledger changes in the commit: each change moves the global revision by one.
    var changeCount: Int { Int(changes.revision - priorRevision) }

    /// The lease state changes the commit made durable, read from the leases' revisions: a lease
    /// granted after `priorRevision` was granted by this commit; one whose last change is after it
    /// and that has ended was released or expired by it.
    var transitions: LeaseTransitions {
        var result = LeaseTransitions()
        for case let lease? in changes.leases.values {
            if lease.revision > priorRevision { result.granted += 1 }
            guard lease.modRevision > priorRevision else { continue }
            switch lease.state {
            case .released: result.released += 1
            case .expired: result.expired.append(lease)
            case .active: break
            }
        }
        return result
    }
}

/// Lease transitions made durable by one commit.
struct LeaseTransitions {
    var granted = 0
    var released = 0
    /// The leases that expired, for the expiry log line.
    var expired: [Lease] = []
}
