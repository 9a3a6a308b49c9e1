import Testing
import QuotaCore
import TestSupport

/// Two replicas of one ledger (issue #9): whichever decides commits its changes, the other applies
/// them with `applyCommitted`, and both must then hold the same state and decide the same way.
@Suite struct LedgerReplicationTests {
    /// Commits `decider`'s pending changes and applies them to `follower`, as a replica's cycle does.
    private func replicate(from decider: inout Ledger, to follower: inout Ledger) {
        guard decider.hasPendingChanges else { return }
        let changes = decider.pendingChanges
        decider.acknowledgeCommit()
        follower.applyCommitted(changes)
    }

    @Test func replicasThatTakeTurnsDecidingStayIdentical() throws {
        var generator = SplitMix64(state: 9)
        let clock = ManualClock()
        var replicas = [Ledger(retentionSeconds: 60), Ledger(retentionSeconds: 60)]
        let paths = ["c1", "c1/ns1", "c1/ns2", "c2", "c2/ns1"]
        var known: [LeaseID] = []
        var granted = 0
        var expired = 0
        for step in 0..<2000 {
            let d = Int(generator.next() % 2)
            let o = 1 - d
            let path = paths[Int(generator.next() % UInt64(paths.count))]
            switch generator.next() % 10 {
            case 0:
                _ = try? replicas[d].pool(path, ["cpu": "\(generator.next() % 8 + 1)"], maxLeases: generator.next() % 3 == 0 ? 4 : nil)
            case 1:
                _ = try? replicas[d].deletePool(pp(path))
            case 2, 3, 4, 5:
                let id = try lid(step)
                if (try? replicas[d].grant(id, in: path, ["cpu": "1"], ttl: Int64(generator.next() % 50 + 1), now: clock.now())) != nil {
                    known.append(id)
                    granted += 1
                }
            case 6, 7:
                if let id = known.randomElement(using: &generator) { _ = replicas[d].release(id, now: clock.now()) }
            case 8:
                if let id = known.randomElement(using: &generator) { _ = try? replicas[d].renew(id, ttlSeconds: 30, now: clock.now()) }
            default:
                clock.advance(seconds: Double(generator.next() % 20))
                expired += replicas[d].expireDue(now: clock.now(), limit: 1000).count
            }
            var decider = replicas[d]
            var follower = replicas[o]
            replicate(from: &decider, to: &follower)
            replicas[d] = decider
            replicas[o] = follower
            #expect(LedgerSnapshot(replicas[d]) == LedgerSnapshot(replicas[o]), "step \(step)")
            if LedgerSnapshot(replicas[d]) != LedgerSnapshot(replicas[o]) { return }
        }
        #expect(granted > 100 && expired > 10, "the walk exercised grants (\(granted)) and expiries (\(expired))")
        // Both rebuild to the same sums from their rows, as a reloading replica would.
        let rebuilt = Ledger(restoringPools: Array(replicas[0].pools.values), leases: Array(replicas[0].leases.values), revision: replicas[0].revision)
        #expect(LedgerSnapshot(rebuilt).ignoringZeroReserved == LedgerSnapshot(replicas[1]).ignoringZeroReserved)
    }

    @Test func aLeaseExpiredByOneReplicaIsNotExpiredAgainByTheOther() throws {
        let clock = ManualClock()
        var a = Ledger()
        var b = Ledger()
        try a.pool("c1", ["cpu": "2"])
        try a.grant(lid(1), in: "c1", ["cpu": "1"], ttl: 10, now: clock.now())
        replicate(from: &a, to: &b)
        #expect(try b.v("c1").reserved == rl(["cpu": "1"]))
        clock.advance(seconds: 11)
        #expect(a.expireDue(now: clock.now(), limit: 10).map(\.id) == [try lid(1)])
        replicate(from: &a, to: &b)
        #expect(b.hasDueWork(now: clock.now()), "b's queue still holds the stale entry")
        #expect(b.expireDue(now: clock.now(), limit: 10).isEmpty, "freed exactly once")
        #expect(!b.hasPendingChanges)
        #expect(try b.v("c1").reserved.droppingZeros() == ResourceList())
        #expect(b.leases[try lid(1)]?.state == .expired)
    }

    @Test func aPoolCreatedAboveLiveLeasesArrivesWithItsWritersSums() throws {
        let clock = ManualClock()
        var a = Ledger()
        var b = Ledger()
        try a.pool("c1/ns1", ["cpu": "8"])
        try a.grant(lid(1), in: "c1/ns1", ["cpu": "3"], now: clock.now())
        replicate(from: &a, to: &b)
        try a.pool("c1", ["cpu": "4"])
        replicate(from: &a, to: &b)
        #expect(try b.v("c1").reserved == rl(["cpu": "3"]))
        #expect(try b.v("c1").activeLeases == 1)
        // b now decides with c1's headroom: 1 cpu left.
        #expect(denial(of: quotaError { try b.grant(lid(2), in: "c1/ns1", ["cpu": "2"], now: clock.now()) })?.pool == (try pp("c1")))
        try b.grant(lid(3), in: "c1/ns1", ["cpu": "1"], now: clock.now())
        replicate(from: &b, to: &a)
        #expect(LedgerSnapshot(a) == LedgerSnapshot(b))
    }
}
