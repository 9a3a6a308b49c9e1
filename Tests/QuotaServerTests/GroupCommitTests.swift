import Foundation
import JSON
import QuotaCore
@testable import QuotaServer
import QuotaStore
import Testing

/// The group commit's rules, at the storage seam (issues #2 and #4): replies wait for the commit,
/// one transaction per pass, and a store failure rolls the pass back and answers -32001.
@Suite struct GroupCommitTests {
    /// A store that fails while `failing` is set, as a full disk or a read-only directory would.
    final class FlakyStore: LedgerStore {
        var failing = false
        private(set) var commits: [ChangeSet] = []
        var description: String { "flaky" }
        func load() throws(StoreError) -> StoredLedger { StoredLedger(pools: [], leases: [], revision: 0) }
        func commit(_ changes: ChangeSet) throws(StoreError) {
            if failing { throw .unavailable("disk full (simulated)") }
            commits.append(changes)
        }
    }

    /// A service, a flaky store, and the replies sent so far, by request number.
    struct Harness {
        let service = QuotaService(stored: StoredLedger(pools: [], leases: [], revision: 0), clock: ManualClock(), openRPCDocument: .null)
        let store = FlakyStore()
        let sent = Sent()
        let commit: GroupCommit<Int>
        final class Sent { var replies: [Int: [String: Any]] = [:]; var commitRequests = 0 }

        init() {
            let sent = self.sent
            commit = GroupCommit(
                service: service, store: store,
                send: { number, body, _ in sent.replies[number] = body.flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] } ?? [:] },
                scheduleCommit: { sent.commitRequests += 1 }
            )
        }

        /// Runs one call as the HTTP route would, numbered `number`.
        func call(_ number: Int, _ method: String, _ params: [String: Any]) throws {
            let body = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": number, "method": method, "params": params])
            commit.reply(number, body: service.handle(body: Array(body)))
        }
    }

    static var pool: [String: Any] { ["pool": "c1", "capacity": ["limits.cpu": "4"]] }
    static func reserve(_ n: Int) -> [String: Any] {
        ["pool": "c1", "lease": String(format: "00000000-0000-4000-8000-%012d", n), "resources": ["limits.cpu": "1"]]
    }

    @Test func repliesWaitForOneCommitPerPass() throws {
        let h = Harness()
        try h.call(1, "setPool", Self.pool)
        try h.call(2, "reserve", Self.reserve(1))
        try h.call(3, "inspect", ["pool": "c1"])
        #expect(h.sent.replies.isEmpty, "nothing is answered before the commit")
        #expect(h.sent.commitRequests >= 1)
        #expect(h.commit.commit() == nil)
        #expect(h.store.commits.count == 1, "one transaction for the whole pass")
        #expect(h.store.commits.first?.revision == 2)
        #expect(Set(h.sent.replies.keys) == [1, 2, 3])
        // A read in a pass without changes is answered at once.
        try h.call(4, "inspect", [:])
        #expect(h.sent.replies[4]?["result"] != nil)
    }

    @Test func storeFailureRollsThePassBackAndAnswersStoreUnavailable() throws {
        let h = Harness()
        try h.call(1, "setPool", Self.pool)
        h.commit.commit()
        let revision = h.service.ledger.revision

        h.store.failing = true
        try h.call(2, "reserve", Self.reserve(1))
        try h.call(3, "reserve", Self.reserve(2))
        let failure = h.commit.commit()
        #expect(failure != nil)
        for number in [2, 3] {
            let error = try #require(h.sent.replies[number]?["error"] as? [String: Any], "call \(number) was not answered with an error")
            #expect(error["code"] as? Int == -32001)
            #expect(h.sent.replies[number]?["id"] as? Int == number)
        }
        // Nothing half-applied stays in memory.
        #expect(h.service.ledger.revision == revision)
        #expect(h.service.ledger.leases.isEmpty)
        #expect(h.service.ledger.view(of: try PoolPath("c1"))?.activeLeases == 0)
        // Reads keep working from memory while the store is down.
        try h.call(4, "inspect", ["pool": "c1"])
        #expect(h.sent.replies[4]?["result"] != nil)

        // Once the store works again, changes succeed.
        h.store.failing = false
        try h.call(5, "reserve", Self.reserve(1))
        #expect(h.commit.commit() == nil)
        #expect((h.sent.replies[5]?["result"] as? [String: Any])?["created"] as? Bool == true)
        #expect(h.service.ledger.view(of: try PoolPath("c1"))?.activeLeases == 1)
    }

    /// Readiness (issue #7): a failed commit is reported and stays failed until a commit or an
    /// empty probe transaction succeeds, so /readyz recovers without a client's write.
    @Test func failedCommitIsReportedAndProbedUntilTheStoreWorks() throws {
        let h = Harness()
        var reports: [CommitReport] = []
        h.commit.onCommit = { reports.append($0) }
        try h.call(1, "setPool", Self.pool)
        h.commit.commit()
        #expect(reports.count == 1 && reports[0].failure == nil && reports[0].changeCount == 1)

        h.store.failing = true
        try h.call(2, "reserve", Self.reserve(1))
        h.commit.commit()
        #expect(reports.count == 2 && reports[1].failure != nil && reports[1].transitions.granted == 1)
        #expect(h.commit.lastCommitFailed)
        // A pass with nothing to write does not clear the failure.
        try h.call(3, "inspect", [:])
        h.commit.commit()
        #expect(h.commit.lastCommitFailed)
        #expect(h.commit.probe() == false)
        #expect(h.store.commits.count == 1)

        h.store.failing = false
        #expect(h.commit.probe() == true)
        #expect(!h.commit.lastCommitFailed)
        #expect(h.store.commits.last?.isEmpty == true && h.store.commits.last?.revision == 1, "the probe writes only the unchanged revision")
        #expect(reports.count == 2, "a probe is not a commit of changes")
    }

    @Test func failureBodyKeepsEveryIDOfABatch() throws {
        let batch = Array(#"[{"jsonrpc":"2.0","result":{"a":1},"id":"x"},{"jsonrpc":"2.0","result":2,"id":7}]"#.utf8)
        let replaced = GroupCommit<Int>.storeFailureBody(replacing: batch, failure: .unavailable("disk full"))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(replaced)) as? [[String: Any]])
        #expect(parsed.map { ($0["error"] as? [String: Any])?["code"] as? Int } == [-32001, -32001])
        #expect(parsed.map { ($0["error"] as? [String: Any])?["message"] as? String } == ["store unavailable: disk full", "store unavailable: disk full"])
        #expect(parsed[0]["id"] as? String == "x")
        #expect(parsed[1]["id"] as? Int == 7)
    }
}
