import QuotaCore
import Testing

/// Selection, totals, child views and name lookup, issue #5.
@Suite struct LedgerQueriesTests {
    /// Two clusters; c1 has two namespaces in project p-a and one in p-b.
    func ledger() throws -> Ledger {
        var ledger = Ledger()
        try ledger.pool("c1", ["limits.cpu": "10"], labels: ["cluster": "c1"])
        try ledger.pool("c1/ns1", ["limits.cpu": "4", "limits.memory": "8Gi"], base: ["limits.cpu": "3", "limits.memory": "5000Mi"], labels: ["cluster": "c1", "project": "p-a"])
        try ledger.pool("c1/ns2", ["limits.cpu": "4"], base: ["limits.cpu": "30"], labels: ["cluster": "c1", "project": "p-a"])
        try ledger.pool("c1/ns3", ["limits.cpu": "2"], labels: ["cluster": "c1", "project": "p-b"])
        try ledger.pool("c2", ["limits.cpu": "8"], labels: ["cluster": "c2"])
        let now = ManualClock().now()
        try ledger.grant(lid(1), in: "c1/ns1", ["limits.cpu": "1", "limits.memory": "2Gi"], now: now)
        try ledger.grant(lid(2), in: "c1/ns2", ["limits.cpu": "2"], now: now)
        try ledger.grant(lid(3), in: "c1/ns3", ["limits.cpu": "500m"], now: now)
        try ledger.grant(lid(4), in: "c2", ["limits.cpu": "1"], now: now)
        return ledger
    }

    @Test func projectTotalsSumItsNamespaces() throws {
        let ledger = try ledger()
        let views = ledger.views(matching: try LabelSelector("project=p-a"))
        #expect(views.map(\.name.rawValue) == ["c1/ns1", "c1/ns2"])
        let totals = PoolTotals.summing(views)
        #expect(totals.pools == 2)
        #expect(totals.activeLeases == 2)
        #expect(totals.capacity == (try rl(["limits.cpu": "8", "limits.memory": "8Gi"])))
        #expect(totals.reserved == (try rl(["limits.cpu": "3", "limits.memory": "2Gi"])))
        #expect(totals.available == (try rl(["limits.cpu": "5", "limits.memory": "6Gi"])))
        #expect(totals.base == (try rl(["limits.cpu": "33", "limits.memory": "5000Mi"])))
        #expect(totals.effective == (try rl(["limits.cpu": "36", "limits.memory": "7048Mi"])))
    }

    @Test func clusterTotalsNeverCountALeaseTwice() throws {
        let ledger = try ledger()
        // c1 and its three namespaces are all selected; only c1 is summed, since it already holds theirs.
        let views = ledger.views(matching: try LabelSelector("cluster=c1"))
        #expect(views.count == 4)
        let totals = PoolTotals.summing(views)
        #expect(totals.pools == 1)
        #expect(totals.activeLeases == 3)
        #expect(totals.reserved == (try rl(["limits.cpu": "3500m", "limits.memory": "2Gi"])))
        #expect(totals.capacity == (try rl(["limits.cpu": "10"])))
        // Every cluster: c1 and c2.
        let all = PoolTotals.summing(ledger.views(matching: try LabelSelector("")))
        #expect(all.pools == 2)
        #expect(all.activeLeases == 4)
        #expect(all.reserved[try ResourceName("limits.cpu")] == (try q("4500m")))
    }

    @Test func totalsOfNothingAreEmpty() throws {
        let totals = PoolTotals.summing(try ledger().views(matching: try LabelSelector("project=none")))
        #expect(totals == PoolTotals())
    }

    @Test func aTotalThatLeavesTheRangeIsLeftOutAndNamedNeverWrapped() throws {
        var ledger = Ledger()
        try ledger.pool("a", ["limits.memory": "8E", "limits.cpu": "1"])
        try ledger.pool("b", ["limits.memory": "8E", "limits.cpu": "2"])
        try ledger.pool("c", ["limits.memory": "1"])
        let totals = PoolTotals.summing(ledger.allViews())
        #expect(totals.capacity == (try rl(["limits.cpu": "3"])))
        #expect(totals.available == (try rl(["limits.cpu": "3"])))
        #expect(totals.overflow == ["available[\"limits.memory\"]", "capacity[\"limits.memory\"]"])
        #expect(totals.pools == 3)
    }

    @Test func childViewsCarryTheirOwnNumbers() throws {
        let ledger = try ledger()
        let children = ledger.childViews(of: try pp("c1"))
        #expect(children.map(\.name.rawValue) == ["c1/ns1", "c1/ns2", "c1/ns3"])
        #expect(children.map(\.activeLeases) == [1, 1, 1])
        #expect(children[0].effective == (try rl(["limits.cpu": "4", "limits.memory": "7048Mi"])))
        #expect(ledger.childViews(of: try pp("c2")).isEmpty)
    }

    @Test func vmNameFindsTheOneActiveLeaseInExactlyThatPool() throws {
        let clock = ManualClock()
        var ledger = try ledger()
        let name = String(repeating: "v", count: 63)
        try ledger.grant(lid(10), in: "c1/ns1", ["limits.cpu": "1"], labels: ["vmName": name], now: clock.now())
        #expect(try ledger.activeLease(in: pp("c1/ns1"), vmName: name, now: clock.now())?.id == (try lid(10)))
        // Not in the parent, nor another namespace.
        #expect(try ledger.activeLease(in: pp("c1"), vmName: name, now: clock.now()) == nil)
        #expect(try ledger.activeLease(in: pp("c1/ns2"), vmName: name, now: clock.now()) == nil)

        try ledger.grant(lid(11), in: "c1/ns1", ["limits.cpu": "1"], labels: ["vmName": name], now: clock.now())
        let error = quotaError { try ledger.activeLease(in: pp("c1/ns1"), vmName: name, now: clock.now()) }
        #expect(error == .ambiguous(pool: try pp("c1/ns1"), vmName: name, leases: [try lid(10), try lid(11)]))
        #expect(error?.code == 1009)

        _ = ledger.release(try lid(10), now: clock.now())
        #expect(try ledger.activeLease(in: pp("c1/ns1"), vmName: name, now: clock.now())?.id == (try lid(11)))
        // Past its deadline it no longer counts, even before the sweep.
        clock.advance(seconds: Double(Ledger.defaultTTLSeconds))
        #expect(try ledger.activeLease(in: pp("c1/ns1"), vmName: name, now: clock.now()) == nil)
    }
}
