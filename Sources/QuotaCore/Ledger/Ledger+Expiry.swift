extension Ledger {
    /// The earliest time at which ``expireDue(now:limit:)`` has work: an active lease's deadline or
    /// an ended lease's end of retention. Nil when there is none.
    ///
    /// Stale queue entries (renewed or released leases) can make this earlier than needed; a sweep at
    /// that time then finds nothing and drops them, like a lazy timer wheel.
    public var nextDeadline: Timestamp? {
        switch (expiryQueue.min?.at, purgeQueue.min?.at) {
        case let (expiry?, purge?): min(expiry, purge)
        case let (expiry?, nil): expiry
        case let (nil, purge?): purge
        case (nil, nil): nil
        }
    }

    /// Expires the active leases whose deadline is at or before `now`, and forgets ended leases whose
    /// retention ran out, at most `limit` of each per call so that one sweep never stalls the loop.
    /// - Parameters:
    ///   - now: the current time.
    ///   - limit: the most leases to expire (and, separately, to forget) in this call.
    /// - Returns: the leases expired by this call; call again while it returns `limit` of them.
    public mutating func expireDue(now: Timestamp, limit: Int) -> [Lease] {
        var expired: [Lease] = []
        while expired.count < limit, let next = expiryQueue.min, next.at <= now {
            expiryQueue.removeMin()
            guard let lease = leases[next.id], lease.state == .active, lease.expiresAt == next.at else { continue }
            expired.append(end(lease, as: .expired, now: now))
        }
        var forgotten = 0
        while forgotten < limit, let next = purgeQueue.min, next.at <= now {
            purgeQueue.removeMin()
            guard let lease = leases[next.id], lease.state != .active, purgeTime(of: lease) == next.at else { continue }
            record(lease: nil, id: next.id)
            forgotten += 1
        }
        return expired
    }

    /// Expires one lease now if its deadline has passed but the sweep has not run yet, so that every
    /// answer reflects the deadline exactly.
    mutating func expireIfDue(_ id: LeaseID, now: Timestamp) {
        if let lease = leases[id], lease.state == .active, lease.expiresAt <= now {
            end(lease, as: .expired, now: now)
        }
    }

    /// True when some expiry or purge is due at `now`.
    public func hasDueWork(now: Timestamp) -> Bool {
        if let deadline = nextDeadline { return deadline <= now }
        return false
    }
}
