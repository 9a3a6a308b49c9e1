import Testing
import QuotaCore

/// Lease deadlines, the expiry sweep and retention, driven by a ManualClock.
@Suite struct LedgerExpiryTests {
    @Test func leaseExpiresExactlyAtItsDeadline() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        try ledger.pool("c1", ["memory": "4Gi"])
        try ledger.pool("c1/ns1")
        let start = clock.now()
        let granted = try ledger.grant(lid(1), in: "c1/ns1", ["memory": "3Gi"], ttl: 60, now: start)
        #expect(granted.lease.expiresAt == start.adding(seconds: 60))
        #expect(ledger.nextDeadline == start.adding(seconds: 60))
        #expect(!ledger.hasDueWork(now: start))

        clock.advance(seconds: 59)
        #expect(!ledger.hasDueWork(now: clock.now()))
        let revision = ledger.revision
        #expect(ledger.expireDue(now: clock.now(), limit: 100).isEmpty)
        #expect(ledger.revision == revision)
        #expect(ledger.leases[try lid(1)]?.state == .active)
        #expect(try ledger.v("c1").reserved == (try rl(["memory": "3Gi"])))
        // Still active a second before the deadline, so a retry is still idempotent.
        #expect(try !ledger.grant(lid(1), in: "c1/ns1", ["memory": "3Gi"], now: clock.now()).created)

        clock.advance(seconds: 1)
        #expect(ledger.hasDueWork(now: clock.now()))
        let expired = ledger.expireDue(now: clock.now(), limit: 100)
        #expect(expired.count == 1)
        let lease = try #require(expired.first)
        #expect(lease.id == (try lid(1)))
        #expect(lease.state == .expired)
        #expect(lease.endedAt == clock.now())
        #expect(lease.modRevision == revision + 1)
        #expect(lease.revision == granted.lease.revision)
        #expect(ledger.revision == revision + 1)
        #expect(ledger.leases[try lid(1)] == lease)
        let c1 = try ledger.v("c1")
        #expect(c1.reserved[try ResourceName("memory")] == nil)
        #expect(c1.activeLeases == 0)
        #expect(c1.available == (try rl(["memory": "4Gi"])))
        #expect(c1.revision == ledger.revision)
        #expect(try ledger.v("c1/ns1").activeLeases == 0)
        #expect(ledger.release(try lid(1), now: clock.now()).state == .expired)
        // Only the purge is left, one retention period after the expiry.
        #expect(ledger.nextDeadline == clock.now().adding(seconds: 3600))
        #expect(!ledger.hasDueWork(now: clock.now()))
        #expect(ledger.expireDue(now: clock.now(), limit: 100).isEmpty)
        try checkInvariants(ledger)
    }

    @Test func nextDeadlineIsTheEarliestActiveDeadline() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        #expect(ledger.nextDeadline == nil)
        try ledger.pool("c1")
        #expect(ledger.nextDeadline == nil)
        let start = clock.now()
        try ledger.grant(lid(1), in: "c1", [:], ttl: 300, now: start)
        try ledger.grant(lid(2), in: "c1", [:], ttl: 100, now: start)
        try ledger.grant(lid(3), in: "c1", [:], ttl: 200, now: start)
        #expect(ledger.nextDeadline == start.adding(seconds: 100))

        clock.advance(seconds: 100)
        #expect(ledger.expireDue(now: clock.now(), limit: 10).map(\.id) == [try lid(2)])
        #expect(ledger.nextDeadline == start.adding(seconds: 200))

        // Renewing the earliest moves the work later once the stale deadline has been swept.
        _ = try ledger.renew(lid(3), ttlSeconds: 1000, now: clock.now())
        // (A stale deadline may still be reported; sweeping at it finds nothing.)
        #expect(ledger.nextDeadline.map { $0 <= start.adding(seconds: 300) } == true)
        clock.advance(seconds: 100)
        #expect(ledger.expireDue(now: clock.now(), limit: 10).isEmpty)
        #expect(ledger.leases[try lid(3)]?.state == .active)
        #expect(ledger.nextDeadline == start.adding(seconds: 300))
        clock.advance(seconds: 100)
        #expect(ledger.expireDue(now: clock.now(), limit: 10).map(\.id) == [try lid(1)])
        #expect(ledger.nextDeadline == start.adding(seconds: 1100))
    }

    @Test func expireDueReturnsLeasesInDeadlineOrder() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        try ledger.pool("c1")
        let start = clock.now()
        for (n, ttl) in [(1, 50), (2, 10), (3, 30), (4, 20), (5, 40), (6, 60)] {
            try ledger.grant(lid(n), in: "c1", [:], ttl: Int64(ttl), now: start)
        }
        clock.advance(seconds: 45)
        #expect(ledger.expireDue(now: clock.now(), limit: 100).map(\.id) == [try lid(2), try lid(4), try lid(3), try lid(5)])
        #expect(try ledger.v("c1").activeLeases == 2)
    }

    @Test func limitBoundsOneSweep() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        try ledger.pool("c1", ["memory": "10000Gi"], maxLeases: 5000)
        try ledger.pool("c1/ns1")
        let start = clock.now()
        for n in 1...2_500 {
            try ledger.grant(lid(n), in: n % 2 == 0 ? "c1" : "c1/ns1", ["memory": "1Gi"], ttl: 60 + Int64(n % 7), now: start)
        }
        #expect(try ledger.v("c1").activeLeases == 2_500)
        clock.advance(seconds: 120)
        let revision = ledger.revision

        var counts: [Int] = []
        var seen = Set<LeaseID>()
        for _ in 0..<4 {
            let batch = ledger.expireDue(now: clock.now(), limit: 1000)
            counts.append(batch.count)
            for lease in batch {
                #expect(lease.state == .expired)
                seen.insert(lease.id)
            }
        }
        #expect(counts == [1000, 1000, 500, 0])
        #expect(seen.count == 2_500)
        #expect(ledger.revision == revision + 2_500)
        let c1 = try ledger.v("c1")
        #expect(c1.activeLeases == 0)
        #expect(c1.reserved[try ResourceName("memory")] == nil)
        #expect(try ledger.v("c1/ns1").activeLeases == 0)
        #expect(ledger.leases.values.allSatisfy { $0.state == .expired })
        try checkInvariants(ledger)
    }

    @Test func partialSweepLeavesTheRestCharged() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        try ledger.pool("c1", ["cpu": "10"])
        for n in 1...5 { try ledger.grant(lid(n), in: "c1", ["cpu": "1"], ttl: 10, now: clock.now()) }
        clock.advance(seconds: 10)
        #expect(ledger.expireDue(now: clock.now(), limit: 2).count == 2)
        #expect(try ledger.v("c1").activeLeases == 3)
        #expect(try ledger.v("c1").reserved == (try rl(["cpu": "3"])))
        #expect(ledger.hasDueWork(now: clock.now()))
        try checkInvariants(ledger)
        #expect(ledger.expireDue(now: clock.now(), limit: 0).isEmpty)
        #expect(ledger.expireDue(now: clock.now(), limit: 5).count == 3)
        #expect(!ledger.hasDueWork(now: clock.now()))
    }

    @Test func leasePastItsDeadlineIsExpiredBeforeASweep() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        try ledger.pool("c1", ["memory": "1Gi"])
        try ledger.pool("c1/ns1")
        try ledger.grant(lid(1), in: "c1/ns1", ["memory": "1Gi"], ttl: 30, now: clock.now())
        try ledger.grant(lid(2), in: "c1/ns1", [:], ttl: 30, now: clock.now())
        clock.advance(seconds: 31)

        let revision = ledger.revision
        let outcome = ledger.release(try lid(1), now: clock.now())
        #expect(!outcome.released)
        #expect(outcome.state == .expired)
        #expect(outcome.lease?.state == .expired)
        #expect(outcome.lease?.endedAt == clock.now())
        #expect(outcome.pool?.activeLeases == 1)
        #expect(outcome.pool?.reserved[try ResourceName("memory")] == nil)
        #expect(ledger.revision == revision + 1)
        #expect(try ledger.v("c1").available == (try rl(["memory": "1Gi"])))

        // The sweep does not expire it a second time.
        let swept = ledger.expireDue(now: clock.now(), limit: 10)
        #expect(swept.map(\.id) == [try lid(2)])
        #expect(ledger.revision == revision + 2)
        try checkInvariants(ledger)
    }

    @Test func reserveOfAnIdPastItsDeadlineGrantsANewLease() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        try ledger.pool("c1", ["memory": "1Gi"])
        let first = try ledger.grant(lid(1), in: "c1", ["memory": "1Gi"], ttl: 30, now: clock.now())
        clock.advance(seconds: 30)
        // Same resources at the deadline: not a retry of a live lease but a new one; the old charge is gone.
        let again = try ledger.grant(lid(1), in: "c1", ["memory": "1Gi"], ttl: 30, now: clock.now())
        #expect(again.created)
        #expect(again.lease.revision > first.lease.revision)
        #expect(again.lease.expiresAt == clock.now().adding(seconds: 30))
        #expect(again.pool.activeLeases == 1)
        #expect(again.pool.reserved == (try rl(["memory": "1Gi"])))
        try checkInvariants(ledger)

        // Other resources past the deadline: no 1003 either.
        clock.advance(seconds: 30)
        #expect(try ledger.grant(lid(1), in: "c1", ["memory": "512Mi"], now: clock.now()).created)
        try checkInvariants(ledger)
    }

    @Test func endedLeasesAreForgottenAfterRetention() throws {
        let clock = ManualClock()
        var ledger = Ledger(retentionSeconds: 100)
        #expect(ledger.retentionSeconds == 100)
        try ledger.pool("c1")
        try ledger.grant(lid(1), in: "c1", [:], ttl: 10, now: clock.now())
        try ledger.grant(lid(2), in: "c1", [:], ttl: 1000, now: clock.now())
        let releasedAt = clock.now()
        _ = ledger.release(try lid(2), now: releasedAt)
        clock.advance(seconds: 10)
        let expiredAt = clock.now()
        #expect(ledger.expireDue(now: expiredAt, limit: 10).map(\.id) == [try lid(1)])
        #expect(ledger.nextDeadline == releasedAt.adding(seconds: 100))
        ledger.acknowledgeCommit()

        clock.advance(seconds: 89)
        let revision = ledger.revision
        #expect(ledger.expireDue(now: clock.now(), limit: 10).isEmpty)
        #expect(ledger.leases.count == 2)
        clock.advance(seconds: 1)
        // lid(2): released 100 s ago: forgotten. lid(1): expired 90 s ago: kept.
        #expect(ledger.expireDue(now: clock.now(), limit: 10).isEmpty)
        #expect(ledger.leases[try lid(2)] == nil)
        #expect(ledger.leases[try lid(1)]?.state == .expired)
        #expect(ledger.release(try lid(2), now: clock.now()).state == nil)
        #expect(ledger.release(try lid(1), now: clock.now()).state == .expired)
        #expect(ledger.revision == revision)
        // The store is told to delete it.
        let pending = ledger.pendingChanges
        #expect(pending.leases.count == 1)
        #expect(pending.leases[try lid(2)] == .some(nil))
        #expect(ledger.nextDeadline == expiredAt.adding(seconds: 100))

        clock.advance(seconds: 10)
        _ = ledger.expireDue(now: clock.now(), limit: 10)
        #expect(ledger.leases.isEmpty)
        // Past lid(2)'s old deadline too (a stale queue entry): nothing is left to do.
        clock.advance(seconds: 1000)
        #expect(ledger.expireDue(now: clock.now(), limit: 10).isEmpty)
        #expect(ledger.nextDeadline == nil)
        #expect(!ledger.hasDueWork(now: clock.now()))
    }

    @Test func reReservedLeaseIsNotForgottenByItsOldRetention() throws {
        let clock = ManualClock()
        var ledger = Ledger(retentionSeconds: 50)
        try ledger.pool("c1")
        try ledger.grant(lid(1), in: "c1", [:], ttl: 1000, now: clock.now())
        _ = ledger.release(try lid(1), now: clock.now())
        clock.advance(seconds: 10)
        let again = try ledger.grant(lid(1), in: "c1", [:], ttl: 1000, now: clock.now())
        clock.advance(seconds: 100)
        _ = ledger.expireDue(now: clock.now(), limit: 10)
        #expect(ledger.leases[try lid(1)] == again.lease)
        #expect(try ledger.v("c1").activeLeases == 1)
        // Released again: forgotten 50 s after this release, not the first one.
        _ = ledger.release(try lid(1), now: clock.now())
        clock.advance(seconds: 49)
        _ = ledger.expireDue(now: clock.now(), limit: 10)
        #expect(ledger.leases[try lid(1)]?.state == .released)
        clock.advance(seconds: 1)
        _ = ledger.expireDue(now: clock.now(), limit: 10)
        #expect(ledger.leases[try lid(1)] == nil)
    }

    @Test func renewedLeaseSurvivesItsOldDeadline() throws {
        let clock = ManualClock()
        var ledger = Ledger()
        try ledger.pool("c1", ["cpu": "1"])
        try ledger.grant(lid(1), in: "c1", ["cpu": "1"], ttl: 60, now: clock.now())
        clock.advance(seconds: 50)
        let renewed = try ledger.renew(lid(1), ttlSeconds: 60, now: clock.now())
        clock.advance(seconds: 10)
        #expect(ledger.expireDue(now: clock.now(), limit: 10).isEmpty)
        #expect(ledger.leases[try lid(1)]?.state == .active)
        #expect(try ledger.v("c1").activeLeases == 1)
        clock.advance(seconds: 49)
        #expect(ledger.expireDue(now: clock.now(), limit: 10).isEmpty)
        clock.advance(seconds: 1)
        #expect(clock.now() == renewed.expiresAt)
        #expect(ledger.expireDue(now: clock.now(), limit: 10).map(\.id) == [try lid(1)])
        #expect(try ledger.v("c1").activeLeases == 0)
    }

    @Test func manualClockAdvancesInNanoseconds() {
        let clock = ManualClock(start: Timestamp(nanosecondsSinceEpoch: 0))
        clock.advance(seconds: 1.5)
        #expect(clock.now() == Timestamp(nanosecondsSinceEpoch: 1_500_000_000))
        #expect(clock.now().adding(seconds: -2) == Timestamp(nanosecondsSinceEpoch: -500_000_000))
        #expect(Timestamp(nanosecondsSinceEpoch: 0).rfc3339 == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp(nanosecondsSinceEpoch: 1_800_000_000_123_456_789).rfc3339 == "2027-01-15T08:00:00.123456Z")
        #expect(Timestamp(nanosecondsSinceEpoch: -1_000).rfc3339 == "1969-12-31T23:59:59.999999Z")
    }
}
