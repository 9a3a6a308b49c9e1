import Foundation
import JSON
import JSONRPC
import QuotaCore
@testable import QuotaServer
import QuotaStore
import Testing

/// Metrics exposition, call records and the status page's HTML, without sockets (issue #7).
@Suite struct ObservabilityUnitTests {
    static func service() -> QuotaService {
        QuotaService(stored: StoredLedger(pools: [], leases: [], revision: 0), clock: ManualClock(), openRPCDocument: .null)
    }

    static func call(_ service: QuotaService, _ method: String, _ params: [String: Any]) throws {
        let body = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": 1, "method": method, "params": params])
        _ = service.handle(body: Array(body))
        service.acknowledgeCommit()
    }

    static func lease(_ n: Int) -> String { String(format: "00000000-0000-4000-8000-%012d", n) }

    /// The exposition's sample lines (no comments), as `name{labels} value`.
    static func samples(_ metrics: ServerMetrics, _ ledger: Ledger) -> Set<String> {
        let text = String(decoding: metrics.exposition(ledger: ledger, openConnections: 3, isReady: true), as: UTF8.self)
        return Set(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init))
    }

    @Test func quantitiesBecomeBaseUnitsOnlyAtExposition() throws {
        #expect(try Quantity(parsing: "500m").baseUnits == 0.5)
        #expect(try Quantity(parsing: "1.5Gi").baseUnits == 1_610_612_736)
        #expect(try Quantity(parsing: "1n").baseUnits == 1e-9)
        #expect(try Quantity(parsing: "4Ei").baseUnits == 4_611_686_018_427_387_904)
    }

    @Test func poolGaugesAreInBaseUnitsAndFollowTheLedger() throws {
        let service = Self.service()
        try Self.call(service, "setPool", ["pool": "c1", "capacity": ["limits.cpu": "4", "limits.memory": "8Gi"]])
        try Self.call(service, "setPool", ["pool": "c1/ns", "capacity": ["limits.cpu": "2"]])
        try Self.call(service, "reserve", ["pool": "c1/ns", "lease": Self.lease(1), "resources": ["limits.cpu": "250m", "limits.memory": "512Mi"]])
        let metrics = ServerMetrics(maxPools: 10)
        var lines = Self.samples(metrics, service.ledger)
        #expect(lines.contains(#"quota_pool_capacity{pool="c1",resource="limits.memory"} 8589934592.0"#))
        #expect(lines.contains(#"quota_pool_reserved{pool="c1",resource="limits.cpu"} 0.25"#))
        #expect(lines.contains(#"quota_pool_reserved{pool="c1/ns",resource="limits.memory"} 536870912.0"#), "held though not limited there")
        #expect(lines.contains(#"quota_pool_available{pool="c1/ns",resource="limits.cpu"} 1.75"#))
        #expect(lines.contains(#"quota_pool_active_leases{pool="c1"} 1.0"#))
        #expect(lines.contains("quota_http_connections 3.0"))
        #expect(lines.contains("quota_pools 2.0"))

        try Self.call(service, "release", ["lease": Self.lease(1)])
        try Self.call(service, "deletePool", ["pool": "c1/ns"])
        lines = Self.samples(metrics, service.ledger)
        #expect(!lines.contains { $0.contains(#"pool="c1/ns""#) }, "a deleted pool's series are gone")
        #expect(lines.contains(#"quota_pool_reserved{pool="c1",resource="limits.cpu"} 0.0"#))
    }

    @Test func keptPoolsAreClusterPoolsFirstThenByPath() throws {
        let paths = try ["b/x", "a/z", "c", "a", "b", "a/y/q"].map { try PoolPath($0) }
        #expect(ServerMetrics.keptPools(paths, max: 4).map(\.rawValue) == ["a", "b", "c", "a/z"])
        #expect(ServerMetrics.keptPools(paths, max: 0).isEmpty)
    }

    @Test func commitsCountGrantsReleasesAndExpiriesFromTheChangeSet() throws {
        let clock = ManualClock()
        let service = QuotaService(stored: StoredLedger(pools: [], leases: [], revision: 0), clock: clock, openRPCDocument: .null)
        try Self.call(service, "setPool", ["pool": "c1", "capacity": ["limits.cpu": "4"]])
        let prior = service.ledger.revision
        for n in 1...3 {
            let body = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": n, "method": "reserve", "params": ["pool": "c1", "lease": Self.lease(n), "resources": ["limits.cpu": "1"], "ttlSeconds": n == 3 ? 1 : 60]])
            _ = service.handle(body: Array(body))
        }
        _ = service.handle(body: Array(#"{"jsonrpc":"2.0","id":9,"method":"release","params":{"lease":"00000000-0000-4000-8000-000000000002"}}"#.utf8))
        let first = CommitReport(changes: try #require(service.pendingChanges), priorRevision: prior, duration: .milliseconds(2), failure: nil)
        service.acknowledgeCommit()
        #expect(first.changeCount == 4)
        #expect(first.transitions.granted == 3, "lease 2 was granted and released in the same commit")
        #expect(first.transitions.released == 1)

        clock.advance(seconds: 2)
        let expired = service.expireDue()
        #expect(expired.count == 1)
        let second = CommitReport(changes: try #require(service.pendingChanges), priorRevision: first.changes.revision, duration: .milliseconds(1), failure: nil)
        #expect(second.transitions.granted == 0 && second.transitions.released == 0)
        #expect(second.transitions.expired.map(\.id.rawValue) == [Self.lease(3)])

        let metrics = ServerMetrics(maxPools: 0)
        metrics.recordCommit(first)
        metrics.recordCommit(second)
        metrics.recordCommit(CommitReport(changes: second.changes, priorRevision: first.changes.revision, duration: .seconds(1), failure: .unavailable("disk full")))
        let lines = Self.samples(metrics, service.ledger)
        #expect(lines.contains("quota_leases_granted_total 3"))
        #expect(lines.contains("quota_leases_released_total 1"))
        #expect(lines.contains("quota_leases_expired_total 1"))
        #expect(lines.contains("quota_store_commit_failures_total 1"))
        #expect(lines.contains("quota_store_commit_batch_size_count 3"))
        #expect(lines.contains("quota_store_commit_duration_seconds_count 3"))
        #expect(lines.contains(#"quota_store_commit_duration_seconds_bucket{le="0.0025"} 2"#))
        #expect(!lines.contains { $0.hasPrefix("quota_pool_") }, "--metrics-max-pools 0 turns per-pool series off")
    }

    @Test func callRecordsReadParamsResultsAndDenials() throws {
        let service = Self.service()
        let recorder = CallRecorder(service: service)
        try Self.call(service, "setPool", ["pool": "c1", "capacity": ["limits.cpu": "1"]])
        _ = recorder.take()
        let body = """
            [{"jsonrpc":"2.0","id":1,"method":"reserve","params":{"pool":"c1","lease":"\(Self.lease(1))","resources":{"limits.cpu":"1"},"holder":"ctl","labels":{"vmName":"vm-1"}}},
             {"jsonrpc":"2.0","id":2,"method":"reserve","params":{"pool":"c1","lease":"\(Self.lease(2))","resources":{"limits.cpu":"500m"},"holder":"ctl","labels":{"vmName":"vm-2"}}},
             {"jsonrpc":"2.0","id":3,"method":"release","params":{"lease":"\(Self.lease(1))"}},
             {"jsonrpc":"2.0","id":4,"method":"no.such"},
             {"jsonrpc":"1.0","id":5,"method":"inspect"},
             {"jsonrpc":"2.0","method":"inspect"}]
            """
        _ = service.handle(body: Array(body.utf8))
        let records = recorder.take()
        try #require(records.count == 6)
        #expect(records[0].method == "reserve" && records[0].code == 0 && records[0].changed)
        #expect(records[0].pool == "c1" && records[0].lease == Self.lease(1) && records[0].holder == "ctl" && records[0].vmName == "vm-1")
        #expect(records[0].revision == 2)
        #expect(records[1].code == 1002 && records[1].vmName == "vm-2")
        let denial = try #require(records[1].denial)
        #expect(denial.pool == "c1")
        #expect(denial.shortfall.map(\.resource) == ["limits.cpu"])
        #expect(denial.shortfall.first?.shortfall == "500m" && denial.shortfall.first?.available == "0" && denial.shortfall.first?.requested == "500m")
        #expect(records[2].method == "release" && records[2].vmName == "vm-1" && records[2].holder == "ctl" && records[2].pool == "c1", "read from the ended lease")
        #expect(records[3].method == "unknown" && records[3].code == -32601)
        #expect(records[4].method == "invalid" && records[4].code == -32600)
        #expect(records[5].method == "inspect" && records[5].isNotification && !records[5].changed)
        #expect(recorder.take().isEmpty)
    }

    @Test func statusPageEscapesLedgerTextAndPaginates() throws {
        let service = Self.service()
        try Self.call(service, "setPool", ["pool": "c1", "capacity": ["limits.cpu": "1000"], "labels": ["x": "<b>&\"'"]])
        try Self.call(service, "setPool", ["pool": "c1/ns", "capacity": ["limits.cpu": "1000"], "base": ["limits.cpu": "10"]])
        for n in 0..<120 {
            try Self.call(service, "reserve", ["pool": "c1/ns", "lease": Self.lease(n), "resources": ["limits.cpu": "1"],
                                               "holder": n == 0 ? "</td><script>alert(1)</script>" : "ctl", "labels": ["vmName": "vm-\(n)"], "ttlSeconds": 60 + n])
        }
        let now = service.clock.now()
        let page = StatusPage(query: "pool=c1&lp=3&pp=x", ledger: service.ledger, now: now, startedAt: now, isReady: false, version: "<v>")
        let html = page.render()
        #expect(!html.contains("<script"))
        #expect(!html.contains("<b>&"))
        #expect(html.contains("&lt;b&gt;&amp;&quot;&#39;"))
        #expect(html.contains("version &lt;v&gt;"))
        #expect(html.contains("not ready"))
        #expect(html.contains("page 3 of 3 (120 leases)"))
        #expect(html.components(separatedBy: "<tr class=\"lease\">").count - 1 == 20)
        #expect(html.contains("page 1 of 1 (2 pools)"))
        #expect(html.contains(#"href="/?pool=c1&amp;lp=2">‹ previous"#))
        #expect(html.contains("11 = 10 + 1") == false && html.contains("130 = 10 + 120"), "effective = base + reserved")

        let first = StatusPage(query: nil, ledger: service.ledger, now: now, startedAt: now, isReady: true, version: "1").render()
        #expect(first.contains("&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;"), "the soonest-expiring lease is on page 1, escaped")
        let invalid = StatusPage(query: "pool=%3Cx%3E", ledger: service.ledger, now: now, startedAt: now, isReady: true, version: "1").render()
        #expect(invalid.contains("No such pool path: <code>&lt;x&gt;</code>"))
    }

    @Test func htmlHelpers() {
        #expect(HTML.escape("a<b>&\"'\u{1}c") == "a&lt;b&gt;&amp;&quot;&#39;c")
        #expect(HTML.queryEscape("c1/ns 1&x") == "c1%2Fns%201%26x")
        #expect(HTML.parseQuery("pool=c1%2Fns&pp=2&pp=3&flag") == ["pool": "c1/ns", "pp": "2", "flag": ""])
        #expect(StatusPage.duration(nanoseconds: 65_000_000_000) == "1m 05s")
        #expect(StatusPage.duration(nanoseconds: 3_725_000_000_000) == "1h 02m")
        #expect(StatusPage.duration(nanoseconds: 90_000_000_000_000) == "1d 1h")
    }
}

/// Client-sent text in a call record is capped in UTF-8 bytes, not characters (a character may
/// carry any number of combining scalars).
@Suite struct CallRecordTruncationTests {
    @Test func oneCharacterOfManyScalarsIsCutByBytes() {
        let hostile = "a" + String(repeating: "\u{301}", count: 300_000)
        #expect(hostile.count == 1)
        let cut = CallRecord.truncated(hostile, bytes: CallRecord.maxFieldLength)
        #expect(cut.utf8.count <= CallRecord.maxFieldLength + "…".utf8.count)
        #expect(CallRecord.truncated("short", bytes: 256) == "short")
    }
}
