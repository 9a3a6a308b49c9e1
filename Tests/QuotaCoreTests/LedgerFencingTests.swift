import QuotaCore
import Testing

/// Fencing tokens (`expectedRevision`) and `reconcile`, issue #4.
@Suite struct LedgerFencingTests {
    @Test func staleHolderCannotReleaseANewerLeaseWithTheSameID() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        try ledger.pool("c1", ["cpu": "4"])
        let first = try ledger.grant(lid(1), in: "c1", ["cpu": "1"], now: clock.now()).lease
        _ = ledger.release(try lid(1), now: clock.now())
        let second = try ledger.grant(lid(1), in: "c1", ["cpu": "1"], now: clock.now()).lease
        #expect(second.revision > first.revision)

        let before = ledger.revision
        let stale = quotaError { try ledger.release(lid(1), expectedRevision: first.revision, now: clock.now()) }
        #expect(stale == .revisionMismatch(try lid(1), expected: first.revision, actual: second.revision))
        #expect(stale?.code == 1007)
        #expect(ledger.revision == before)
        #expect(try ledger.v("c1").activeLeases == 1)

        let current = try ledger.release(lid(1), expectedRevision: second.revision, now: clock.now())
        #expect(current.released)
        #expect(try ledger.v("c1").activeLeases == 0)
        // Unknown ids have revision 0.
        #expect(quotaError { try ledger.release(lid(9), expectedRevision: 5, now: clock.now()) }?.code == 1007)
        #expect(try ledger.release(lid(9), expectedRevision: 0, now: clock.now()).state == nil)
    }

    @Test func renewAndReserveCheckTheToken() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        try ledger.pool("c1", ["cpu": "4"])
        let lease = try ledger.grant(lid(1), in: "c1", ["cpu": "1"], now: clock.now()).lease
        #expect(quotaError { try ledger.renew(lid(1), ttlSeconds: 60, expectedRevision: lease.revision + 1, now: clock.now()) }?.code == 1007)
        #expect(try ledger.renew(lid(1), ttlSeconds: 60, expectedRevision: lease.revision, now: clock.now()).ttlSeconds == 60)

        // reserve: 0 means "no active lease with this id"; an idempotent retry must name the active one.
        let retry = ReserveRequest(lease: try lid(1), pool: try pp("c1"), resources: try rl(["cpu": "1"]), expectedRevision: 0)
        #expect(quotaError { try ledger.reserve(retry, now: clock.now()) } == .revisionMismatch(try lid(1), expected: 0, actual: lease.revision))
        var named = retry
        named.expectedRevision = lease.revision
        #expect(try ledger.reserve(named, now: clock.now()).created == false)
        let fresh = ReserveRequest(lease: try lid(2), pool: try pp("c1"), resources: try rl(["cpu": "1"]), expectedRevision: 0)
        #expect(try ledger.reserve(fresh, now: clock.now()).created)
        try checkInvariants(ledger)
    }

    @Test func reconcileReleasesOnlyTheHoldersForgottenLeasesUnderThePrefix() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        try ledger.pool("c1", ["cpu": "10"])
        try ledger.pool("c1/ns1", ["cpu": "10"])
        try ledger.pool("c2", ["cpu": "10"])
        try ledger.grant(lid(1), in: "c1/ns1", ["cpu": "1"], holder: "ctl-a", now: clock.now())
        try ledger.grant(lid(2), in: "c1/ns1", ["cpu": "1"], holder: "ctl-a", now: clock.now())
        try ledger.grant(lid(3), in: "c1", ["cpu": "1"], holder: "ctl-b", now: clock.now())
        try ledger.grant(lid(4), in: "c2", ["cpu": "1"], holder: "ctl-a", now: clock.now())

        let before = ledger.revision
        let released = ledger.reconcile(holder: "ctl-a", under: try pp("c1"), keeping: [try lid(1)], now: clock.now())
        #expect(released.map(\.id) == [try lid(2)])
        #expect(released.allSatisfy { $0.state == .released })
        #expect(ledger.revision == before + 1)
        #expect(ledger.leases[try lid(1)]?.state == .active)
        #expect(ledger.leases[try lid(3)]?.state == .active, "another holder's lease is never touched")
        #expect(ledger.leases[try lid(4)]?.state == .active, "a lease outside the prefix is never touched")
        #expect(try ledger.v("c1").activeLeases == 2)

        // Without a prefix, every pool; an empty list releases all of the holder's leases.
        let all = ledger.reconcile(holder: "ctl-a", under: nil, keeping: [], now: clock.now())
        #expect(Set(all.map(\.id)) == [try lid(1), try lid(4)])
        #expect(ledger.reconcile(holder: "ctl-a", under: nil, keeping: [], now: clock.now()).isEmpty)
        try checkInvariants(ledger)
    }
}
