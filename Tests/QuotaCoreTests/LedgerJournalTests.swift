import Testing
import QuotaCore

/// Runs `op` on both ledgers and expects equal results and equal ledgers afterwards.
func same<T: Equatable>(
    _ a: inout Ledger, _ b: inout Ledger, sourceLocation: SourceLocation = #_sourceLocation, _ op: (inout Ledger) throws -> T
) rethrows {
    let x = try op(&a)
    let y = try op(&b)
    #expect(x == y, sourceLocation: sourceLocation)
    #expect(LedgerSnapshot(a) == LedgerSnapshot(b), sourceLocation: sourceLocation)
}

/// The global revision, the change journal (pendingChanges, acknowledgeCommit, rollbackUncommitted)
/// and rebuilding a ledger from stored rows.
@Suite struct LedgerJournalTests {
    // MARK: Revision

    @Test func everyChangeIncrementsTheRevisionByExactlyOne() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        #expect(ledger.revision == 0)
        try ledger.pool("c1", ["memory": "4Gi"])
        try ledger.pool("c1/ns1")
        try ledger.pool("c2")
        #expect(ledger.revision == 3)
        #expect(try ledger.v("c2").revision == 3)
        try ledger.pool("c1", ["memory": "4096Mi"])
        #expect(ledger.revision == 3)
        try ledger.pool("c1", ["memory": "8Gi"])
        #expect(ledger.revision == 4)
        #expect(try ledger.v("c1").revision == 4)

        // One reserve touching two pools: +1, and both pools carry it.
        let granted = try ledger.grant(lid(1), in: "c1/ns1", ["memory": "1Gi"], ttl: 100, now: clock.now())
        #expect(ledger.revision == 5)
        #expect(granted.lease.revision == 5)
        #expect(granted.lease.modRevision == 5)
        #expect(try ledger.v("c1").revision == 5)
        #expect(try ledger.v("c1/ns1").revision == 5)
        #expect(try ledger.v("c2").revision == 3)

        // Reads, retries, refusals and dry runs: no change.
        _ = ledger.view(of: try pp("c1"))
        _ = ledger.allViews()
        _ = ledger.activeLeases(chargedTo: try pp("c1"))
        _ = ledger.pendingChanges
        _ = ledger.nextDeadline
        _ = ledger.hasDueWork(now: clock.now())
        _ = try ledger.grant(lid(1), in: "c1/ns1", ["memory": "1Gi"], now: clock.now())
        _ = quotaError { try ledger.grant(lid(1), in: "c1/ns1", ["memory": "2Gi"], now: clock.now()) }
        _ = quotaError { try ledger.grant(lid(2), in: "c1/ns1", ["memory": "9Gi"], now: clock.now()) }
        _ = try ledger.grant(lid(2), in: "c1/ns1", ["memory": "1Gi"], dryRun: true, now: clock.now())
        _ = quotaError { try ledger.grant(lid(2), in: "c3", ["memory": "1Gi"], now: clock.now()) }
        _ = quotaError { try ledger.grant(lid(2), in: "c1", ["memory": "-1"], now: clock.now()) }
        _ = quotaError { try ledger.renew(lid(1), ttlSeconds: 0, now: clock.now()) }
        _ = quotaError { try ledger.pool("c1", ["memory": "-1"]) }
        _ = ledger.release(try lid(9), now: clock.now())
        #expect(ledger.revision == 5)

        _ = try ledger.renew(lid(1), ttlSeconds: nil, now: clock.now())
        #expect(ledger.revision == 6)
        #expect(try ledger.v("c1").revision == 5)
        try ledger.grant(lid(2), in: "c1/ns1", ["memory": "1Gi"], ttl: 50, now: clock.now())
        #expect(ledger.revision == 7)
        #expect(ledger.release(try lid(1), now: clock.now()).released)
        #expect(ledger.revision == 8)
        #expect(try ledger.v("c1").revision == 8)
        _ = ledger.release(try lid(1), now: clock.now())
        _ = quotaError { try ledger.renew(lid(1), ttlSeconds: nil, now: clock.now()) }
        #expect(ledger.revision == 8)

        clock.advance(seconds: 50)
        #expect(ledger.expireDue(now: clock.now(), limit: 10).count == 1)
        #expect(ledger.revision == 9)
        #expect(ledger.expireDue(now: clock.now(), limit: 10).isEmpty)
        #expect(ledger.revision == 9)

        try ledger.deletePool(pp("c2"))
        #expect(ledger.revision == 10)
        _ = quotaError { try ledger.deletePool(pp("c1")) }
        _ = quotaError { try ledger.deletePool(pp("c2")) }
        #expect(ledger.revision == 10)
        try checkInvariants(ledger)
    }

    // MARK: Journal

    @Test func pendingChangesListExactlyWhatChanged() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        try ledger.pool("c1")
        try ledger.pool("c1/ns1")
        try ledger.pool("c1/ns2")
        try ledger.pool("c2")
        try ledger.grant(lid(9), in: "c1/ns2", ["cpu": "1"], now: clock.now())
        #expect(ledger.hasPendingChanges)
        #expect(Set(ledger.pendingChanges.pools.keys) == Set(try ["c1", "c1/ns1", "c1/ns2", "c2"].map(pp)))
        ledger.acknowledgeCommit()
        #expect(!ledger.hasPendingChanges)
        #expect(ledger.pendingChanges.isEmpty)
        #expect(ledger.pendingChanges.revision == ledger.revision)

        // Nothing pending after reads, retries, refusals and dry runs.
        _ = try ledger.grant(lid(9), in: "c1/ns2", ["cpu": "1"], now: clock.now())
        _ = try ledger.grant(lid(1), in: "c1/ns1", ["cpu": "1"], dryRun: true, now: clock.now())
        _ = quotaError { try ledger.grant(lid(1), in: "c9", ["cpu": "1"], now: clock.now()) }
        _ = ledger.release(try lid(5), now: clock.now())
        try ledger.pool("c2")
        #expect(!ledger.hasPendingChanges)

        let granted = try ledger.grant(lid(1), in: "c1/ns1", ["cpu": "2"], now: clock.now())
        var pending = ledger.pendingChanges
        #expect(Set(pending.pools.keys) == Set([try pp("c1"), try pp("c1/ns1")]))
        #expect(pending.pools[try pp("c1")] == .some(ledger.pools[try pp("c1")]))
        #expect(pending.pools[try pp("c1/ns1")] == .some(ledger.pools[try pp("c1/ns1")]))
        #expect(Array(pending.leases.keys) == [try lid(1)])
        #expect(pending.leases[try lid(1)] == .some(granted.lease))
        #expect(pending.revision == ledger.revision)
        #expect(!pending.isEmpty)

        let renewed = try ledger.renew(lid(9), ttlSeconds: 60, now: clock.now())
        pending = ledger.pendingChanges
        #expect(Set(pending.pools.keys) == Set([try pp("c1"), try pp("c1/ns1")]))
        #expect(Set(pending.leases.keys) == Set([try lid(1), try lid(9)]))
        #expect(pending.leases[try lid(9)] == .some(renewed))
        #expect(pending.revision == ledger.revision)

        ledger.acknowledgeCommit()
        #expect(ledger.pendingChanges.isEmpty)
        #expect(!ledger.hasPendingChanges)

        try ledger.deletePool(pp("c2"))
        try ledger.pool("c1/ns3", ["cpu": "1"])
        pending = ledger.pendingChanges
        #expect(Set(pending.pools.keys) == Set([try pp("c2"), try pp("c1/ns3")]))
        #expect(pending.pools[try pp("c2")] == .some(nil))
        #expect(pending.pools[try pp("c1/ns3")]??.capacity == (try rl(["cpu": "1"])))
        #expect(pending.leases.isEmpty)

        ledger.acknowledgeCommit()
        let released = ledger.release(try lid(9), now: clock.now())
        pending = ledger.pendingChanges
        #expect(Set(pending.pools.keys) == Set([try pp("c1"), try pp("c1/ns2")]))
        #expect(pending.leases.count == 1)
        #expect(pending.leases[try lid(9)] == .some(released.lease))
    }

    @Test func rollbackRestoresTheLedgerExactly() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        try ledger.pool("c1", ["memory": "10Gi"], maxLeases: 10, base: ["memory": "1Gi"], labels: ["project": "p"])
        try ledger.pool("c1/ns1", ["memory": "4Gi"])
        try ledger.pool("c1/ns2")
        try ledger.pool("c2")
        try ledger.pool("x/y")
        try ledger.grant(lid(1), in: "c1/ns1", ["memory": "2Gi"], ttl: 100, now: clock.now())
        try ledger.grant(lid(2), in: "c1/ns2", ["memory": "1Gi"], ttl: 200, now: clock.now())
        try ledger.grant(lid(3), in: "c1/ns1", ["memory": "1Gi"], ttl: 300, now: clock.now())
        _ = ledger.release(try lid(3), now: clock.now())
        try ledger.grant(lid(5), in: "x/y", ["cpu": "1"], ttl: 400, now: clock.now())
        ledger.acknowledgeCommit()
        var committed = ledger
        let before = LedgerSnapshot(ledger)

        clock.advance(seconds: 10)
        try ledger.grant(lid(4), in: "c1/ns1", ["memory": "1Gi"], now: clock.now())
        #expect(ledger.release(try lid(1), now: clock.now()).released)
        _ = try ledger.renew(lid(2), ttlSeconds: 1000, now: clock.now())
        try ledger.pool("c1", ["memory": "3Gi"], maxLeases: 3)
        try ledger.pool("c1/ns3")
        #expect(try ledger.pool("x").pool.activeLeases == 1)
        try ledger.deletePool(pp("c2"))
        try ledger.grant(lid(6), in: "c1/ns3", ["memory": "512Mi"], now: clock.now())
        #expect(quotaError { try ledger.deletePool(pp("c1/ns3")) }?.code == 1006)
        _ = ledger.release(try lid(6), now: clock.now())
        try ledger.deletePool(pp("c1/ns3"))
        try ledger.grant(lid(3), in: "c1/ns2", ["memory": "256Mi"], now: clock.now())
        try ledger.pool("c1/ns2", ["memory": "100Mi"])
        #expect(try ledger.v("c1/ns2").overcommitted)
        try checkInvariants(ledger)
        #expect(LedgerSnapshot(ledger) != before)
        #expect(ledger.hasPendingChanges)

        ledger.rollbackUncommitted()
        #expect(LedgerSnapshot(ledger) == before)
        #expect(ledger.revision == before.revision)
        #expect(ledger.pools == committed.pools)
        #expect(ledger.leases == committed.leases)
        #expect(ledger.allViews() == committed.allViews())
        #expect(try ledger.v("c1").children == [try pp("c1/ns1"), try pp("c1/ns2")])
        #expect(ledger.view(of: try pp("c2")) != nil)
        #expect(ledger.view(of: try pp("x")) == nil)
        #expect(ledger.activeLeases(chargedTo: try pp("c1")).map(\.id) == [try lid(1), try lid(2)])
        #expect(!ledger.hasPendingChanges)
        #expect(ledger.pendingChanges.isEmpty)
        try checkInvariants(ledger)

        // The rolled-back ledger behaves like the committed one from here on.
        try same(&ledger, &committed) { try $0.grant(lid(4), in: "c1/ns1", ["memory": "2Gi"], now: clock.now()) }
        try same(&ledger, &committed) { try $0.pool("x") }
        try same(&ledger, &committed) { try $0.pool("c1/ns3") }
        same(&ledger, &committed) { l in quotaError { try l.grant(lid(7), in: "c1/ns1", ["memory": "1"], now: clock.now()) } }
        try same(&ledger, &committed) { try $0.renew(lid(5), ttlSeconds: nil, now: clock.now()) }
        same(&ledger, &committed) { l in quotaError { try l.deletePool(pp("c1/ns1")) } }
        same(&ledger, &committed) { l in quotaError { try l.deletePool(pp("c2")) } }
        same(&ledger, &committed) { $0.release(try! lid(3), now: clock.now()) }
        same(&ledger, &committed) { $0.pendingChanges.pools.count }
        clock.advance(seconds: 90)
        same(&ledger, &committed) { $0.expireDue(now: clock.now(), limit: 100) }
        #expect(ledger.leases[try lid(1)]?.state == .expired)
        clock.advance(seconds: 100)
        same(&ledger, &committed) { $0.expireDue(now: clock.now(), limit: 100) }
        #expect(ledger.leases[try lid(2)]?.state == .expired)
        clock.advance(seconds: 4000)
        same(&ledger, &committed) { $0.expireDue(now: clock.now(), limit: 100) }
        same(&ledger, &committed) { $0.leases.count }
        try checkInvariants(ledger)
    }

    @Test func rollbackOfAReserveLeavesNoLeaseToExpire() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        try ledger.pool("c1", ["cpu": "1"])
        ledger.acknowledgeCommit()
        try ledger.grant(lid(1), in: "c1", ["cpu": "1"], ttl: 10, now: clock.now())
        ledger.rollbackUncommitted()
        #expect(ledger.leases.isEmpty)
        #expect(ledger.revision == 1)
        #expect(try ledger.v("c1").reserved.isEmpty)
        #expect(try ledger.v("c1").revision == 1)
        clock.advance(seconds: 10)
        let revision = ledger.revision
        #expect(ledger.expireDue(now: clock.now(), limit: 10).isEmpty)
        #expect(ledger.revision == revision)
        #expect(!ledger.hasPendingChanges)
        // The id is free and the capacity whole.
        #expect(try ledger.grant(lid(1), in: "c1", ["cpu": "1"], now: clock.now()).lease.revision == 2)
    }

    @Test func rollbackOfAPurgeBringsTheEndedLeaseBack() throws {
        let clock = ManualClock()
        var ledger = Ledger(retentionSeconds: 10)
        try ledger.pool("c1")
        try ledger.grant(lid(1), in: "c1", [:], now: clock.now())
        let released = ledger.release(try lid(1), now: clock.now())
        ledger.acknowledgeCommit()
        clock.advance(seconds: 10)
        _ = ledger.expireDue(now: clock.now(), limit: 10)
        #expect(ledger.leases.isEmpty)
        #expect(ledger.hasPendingChanges)
        ledger.rollbackUncommitted()
        #expect(ledger.leases[try lid(1)] == released.lease)
        #expect(ledger.release(try lid(1), now: clock.now()).state == .released)
        // And it is forgotten again by the next sweep.
        _ = ledger.expireDue(now: clock.now(), limit: 10)
        #expect(ledger.leases.isEmpty)
    }

    @Test func acknowledgedChangesSurviveRollback() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        try ledger.pool("c1")
        try ledger.grant(lid(1), in: "c1", ["cpu": "1"], now: clock.now())
        ledger.acknowledgeCommit()
        let committed = LedgerSnapshot(ledger)
        ledger.rollbackUncommitted()
        #expect(LedgerSnapshot(ledger) == committed)
        try ledger.grant(lid(2), in: "c1", ["cpu": "1"], now: clock.now())
        ledger.rollbackUncommitted()
        #expect(LedgerSnapshot(ledger) == committed)
        // Rolling back an empty ledger's first changes goes back to nothing.
        var fresh = Ledger()
        try fresh.pool("a")
        try fresh.pool("a/b")
        fresh.rollbackUncommitted()
        #expect(fresh.revision == 0)
        #expect(fresh.pools.isEmpty)
        #expect(fresh.allViews().isEmpty)
        #expect(try fresh.pool("a").pool.children.isEmpty)
    }

    // MARK: Restoring

    /// A ledger with nested pools, a pool without its parent, active, released and expired leases.
    static func populated(_ clock: ManualClock) throws -> Ledger {
        var ledger = Ledger()
        try ledger.pool("c1", ["memory": "64Gi", "cpu": "32"], maxLeases: 20, base: ["memory": "8Gi", "pods": "50"], labels: ["project": "p1"])
        try ledger.pool("c1/ns1", ["memory": "16Gi"], base: ["memory": "4Gi"])
        try ledger.pool("c1/ns1/team")
        try ledger.pool("c1/ns2", ["cpu": "4"], maxLeases: 3)
        try ledger.pool("c2")
        try ledger.pool("x/y")
        try ledger.grant(lid(1), in: "c1/ns1", ["memory": "2Gi", "cpu": "1"], ttl: 60, holder: "ctl", labels: ["vmName": "a"], now: clock.now())
        try ledger.grant(lid(2), in: "c1/ns1/team", ["memory": "1536Mi"], ttl: 120, now: clock.now())
        try ledger.grant(lid(3), in: "c1/ns2", ["cpu": "500m", "pods": "1"], ttl: 600, now: clock.now())
        try ledger.grant(lid(4), in: "c1", ["memory": "1Gi"], ttl: 30, now: clock.now())
        try ledger.grant(lid(5), in: "x/y", ["example.com/gpu": "1"], ttl: 600, now: clock.now())
        try ledger.grant(lid(6), in: "c2", [:], ttl: 600, now: clock.now())
        clock.advance(seconds: 30)
        _ = ledger.expireDue(now: clock.now(), limit: 100)
        _ = ledger.release(try lid(6), now: clock.now())
        ledger.acknowledgeCommit()
        return ledger
    }

    @Test func restoringFromStoredRowsReproducesTheLedger() throws {
        let clock = ManualClock()
        var original = try Self.populated(clock)
        #expect(original.leases[try lid(4)]?.state == .expired)
        #expect(original.leases[try lid(6)]?.state == .released)

        var restored = Ledger(restoringPools: Array(original.pools.values), leases: Array(original.leases.values), revision: original.revision)
        #expect(LedgerSnapshot(restored) == LedgerSnapshot(original))
        #expect(!restored.hasPendingChanges)
        #expect(restored.retentionSeconds == original.retentionSeconds)
        #expect(restored.nextDeadline == original.nextDeadline)
        try checkInvariants(restored)

        // Order of the rows does not matter.
        let reversed = Ledger(
            restoringPools: original.pools.values.sorted { $0.name > $1.name }, leases: original.leases.values.sorted { $0.id > $1.id },
            revision: original.revision
        )
        #expect(LedgerSnapshot(reversed) == LedgerSnapshot(original))

        // And it behaves the same from here on.
        try same(&restored, &original) { try $0.grant(lid(7), in: "c1/ns1/team", ["memory": "4Gi"], now: clock.now()) }
        same(&restored, &original) { l in quotaError { try l.grant(lid(8), in: "c1/ns1", ["memory": "9Gi"], now: clock.now()) } }
        same(&restored, &original) { l in quotaError { try l.deletePool(pp("c1/ns1")) } }
        try same(&restored, &original) { try $0.pool("x") }
        same(&restored, &original) { l in quotaError { try l.deletePool(pp("c2")) } }
        same(&restored, &original) { $0.release(try! lid(1), now: clock.now()) }
        same(&restored, &original) { $0.release(try! lid(6), now: clock.now()) }
        clock.advance(seconds: 90)
        same(&restored, &original) { $0.expireDue(now: clock.now(), limit: 100) }
        clock.advance(seconds: 3600)
        same(&restored, &original) { $0.expireDue(now: clock.now(), limit: 100) }
        try checkInvariants(restored)
    }

    /// After a lease ends, the live pool lists its resources as 0 in `reserved`; a ledger restored from the
    /// same rows lists nothing, so `inspect` answers differently before and after a restart.
    @Test func restoredViewsMatchAfterLeasesEnded() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        try ledger.pool("c1", ["memory": "4Gi"])
        try ledger.pool("c1/ns1")
        try ledger.grant(lid(1), in: "c1/ns1", ["memory": "1Gi", "cpu": "1"], ttl: 60, now: clock.now())
        try ledger.grant(lid(2), in: "c1/ns1", ["example.com/gpu": "1"], now: clock.now())
        _ = ledger.release(try lid(1), now: clock.now())
        let restored = Ledger(restoringPools: Array(ledger.pools.values), leases: Array(ledger.leases.values), revision: ledger.revision)
        #expect(restored.allViews() == ledger.allViews())
        #expect(try restored.v("c1").reserved == ledger.v("c1").reserved)
        #expect(restored.pools == ledger.pools)
    }

    @Test func restoringRecomputesReservedSums() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        try ledger.pool("c1", ["memory": "8Gi"])
        try ledger.pool("c1/ns1")
        let emptyPools = Array(ledger.pools.values)
        try ledger.grant(lid(1), in: "c1/ns1", ["memory": "3Gi"], now: clock.now())
        try ledger.grant(lid(2), in: "c1/ns1", ["memory": "1Gi"], now: clock.now())
        // Pool rows written before the leases: their sums are stale, the restore recomputes them.
        let restored = Ledger(restoringPools: emptyPools, leases: Array(ledger.leases.values), revision: ledger.revision)
        #expect(try restored.v("c1").reserved == (try rl(["memory": "4Gi"])))
        #expect(try restored.v("c1").activeLeases == 2)
        #expect(try restored.v("c1/ns1").activeLeases == 2)
        // And the restored pools are what the ledger holds, sums included.
        let twice = Ledger(restoringPools: Array(ledger.pools.values) + [], leases: Array(ledger.leases.values), revision: ledger.revision)
        #expect(try twice.v("c1").reserved == (try rl(["memory": "4Gi"])))
        try checkInvariants(restored)
        try checkInvariants(twice)
    }

    @Test func leasesThatExpiredDuringDowntimeExpireOnTheFirstSweep() throws {
        let clock = ManualClock()
        let original = try Self.populated(clock)
        let pools = Array(original.pools.values)
        let leases = Array(original.leases.values)

        // Down for 100 s.
        clock.advance(seconds: 100)
        var restored = Ledger(restoringPools: pools, leases: leases, revision: original.revision, retentionSeconds: 3600)
        // Before the sweep the stored state is served as it was.
        #expect(restored.leases[try lid(1)]?.state == .active)
        #expect(restored.hasDueWork(now: clock.now()))
        let expired = restored.expireDue(now: clock.now(), limit: 100)
        // Deadlines: lid(1) at 60 s, lid(2) at 120 s after the start; the clock is at 130 s.
        #expect(Set(expired.map(\.id)) == Set([try lid(1), try lid(2)]))
        #expect(expired.allSatisfy { $0.state == .expired && $0.endedAt == clock.now() })
        #expect(restored.revision == original.revision + 2)
        #expect(Set(restored.pendingChanges.leases.keys) == Set([try lid(1), try lid(2)]))
        let c1 = try restored.v("c1")
        #expect(c1.activeLeases == 1)
        #expect(c1.reserved[try ResourceName("memory")] == nil)
        #expect(c1.reserved[try ResourceName("cpu")] == (try q("500m")))
        #expect(try restored.v("c1/ns1").activeLeases == 0)
        #expect(restored.expireDue(now: clock.now(), limit: 100).isEmpty)
        try checkInvariants(restored)

        // Ended leases whose retention ran out while down are forgotten by the first sweep too.
        clock.advance(seconds: 3600)
        var late = Ledger(restoringPools: pools, leases: leases, revision: original.revision, retentionSeconds: 3600)
        let lateExpired = late.expireDue(now: clock.now(), limit: 100)
        #expect(Set(lateExpired.map(\.id)) == Set(try [1, 2, 3, 5].map(lid)))
        #expect(late.leases[try lid(4)] == nil)
        #expect(late.leases[try lid(6)] == nil)
        #expect(late.leases.count == 4)
        #expect(late.allViews().allSatisfy { $0.activeLeases == 0 })
        try checkInvariants(late)
    }
}
