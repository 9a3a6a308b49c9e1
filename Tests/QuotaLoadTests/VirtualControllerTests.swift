import JSON
import Testing
@testable import QuotaLoad

/// A virtual controller names only leases it holds, and judges answers against its grants.
struct VirtualControllerTests {
    static func controller(mix: String) throws -> VirtualController {
        var configuration = try LoadConfiguration(server: "http://127.0.0.1:1")
        configuration.mix = try OperationMix(parsing: mix)
        configuration.pools = 3
        return VirtualController(index: 0, configuration: configuration, nonce: (1, 2))
    }

    static func grant(_ call: PlannedCall, revision: Int64) -> JSONValue {
        ["jsonrpc": "2.0", "id": 0, "result": ["created": true, "lease": ["id": .string(call.lease!.id), "revision": JSONValue(revision)]]]
    }

    @Test func releaseWithNothingHeldBecomesAReserveOfAFreshLease() throws {
        let controller = try Self.controller(mix: "release=1")
        let calls = controller.plan(count: 3)
        #expect(calls.map(\.operation) == [.reserve, .reserve, .reserve])
        #expect(Set(calls.map { $0.lease!.id }).count == 3)
        #expect(calls.allSatisfy { ["load/p0", "load/p1", "load/p2"].contains($0.pool) })
        let body = try JSONReader.parse(controller.body(for: calls))
        #expect(body.arrayValue?.count == 3)
        #expect(body[2]?["method"]?.stringValue == "reserve")
        #expect(body[2]?["id"]?.int64Value == 2)
    }

    @Test func grantedLeasesAreHeldThenReleasedWithTheirFencingToken() throws {
        let controller = try Self.controller(mix: "reserve=1,release=1")
        var statistics = LoadStatistics()
        let reserve = PlannedCall(operation: .reserve, lease: HeldLease(id: "00000000-0000-4000-8000-000000000001", pool: "load/p1", revision: 0), pool: "load/p1")
        controller.judge(reserve, response: Self.grant(reserve, revision: 42), into: &statistics)
        #expect(controller.held == [HeldLease(id: "00000000-0000-4000-8000-000000000001", pool: "load/p1", revision: 42)])
        var release: PlannedCall?
        for _ in 0..<100 where release == nil {
            release = controller.plan(count: 1).first { $0.operation == .release }
        }
        #expect(release?.lease?.revision == 42)
        #expect(controller.held.isEmpty)
        let body = try JSONReader.parse(controller.body(for: [release!]))
        #expect(body["params"]?["expectedRevision"]?.int64Value == 42)
        controller.judge(release!, response: ["jsonrpc": "2.0", "id": 0, "result": ["released": true, "state": "released"]], into: &statistics)
        #expect(statistics.violationCount == 0)
    }

    @Test func answersThatContradictAGrantAreViolations() throws {
        let controller = try Self.controller(mix: "reserve=1")
        var statistics = LoadStatistics()
        let lease = HeldLease(id: "00000000-0000-4000-8000-000000000002", pool: "load/p0", revision: 5)
        controller.judge(PlannedCall(operation: .retry, lease: lease, pool: "load/p0"),
                         response: ["jsonrpc": "2.0", "id": 0, "result": ["created": true]], into: &statistics)
        controller.judge(PlannedCall(operation: .release, lease: lease, pool: "load/p0"),
                         response: ["jsonrpc": "2.0", "id": 0, "result": ["released": false, "state": "expired"]], into: &statistics)
        controller.judge(PlannedCall(operation: .renew, lease: lease, pool: "load/p0"),
                         response: ["jsonrpc": "2.0", "id": 0, "error": ["code": 1004, "message": "lease not active"]], into: &statistics)
        #expect(statistics.violationCount == 3)
        #expect(statistics.errors == ["1004": 1])
        #expect(statistics.violations[1] == "release of held lease \(lease.id) in load/p0: released false, state expired")
    }

    @Test func aReleaseThatGotNoAnswerKeepsTheLeaseHeld() throws {
        let controller = try Self.controller(mix: "reserve=1")
        var statistics = LoadStatistics()
        let lease = HeldLease(id: "00000000-0000-4000-8000-000000000003", pool: "load/p0", revision: 5)
        controller.judge(PlannedCall(operation: .release, lease: lease, pool: "load/p0"), response: nil, into: &statistics)
        #expect(controller.held == [lease])
    }

    /// -32001 on a release: the store failed, perhaps after committing it (PostgreSQL connection
    /// lost after COMMIT). The lease is released again, and "already released" is then no violation.
    @Test func aReleaseAnsweredStoreUnavailableIsRetriedAndMayFindItDone() throws {
        let controller = try Self.controller(mix: "renew=1")
        var statistics = LoadStatistics()
        let lease = HeldLease(id: "00000000-0000-4000-8000-000000000004", pool: "load/p0", revision: 7)
        controller.judge(PlannedCall(operation: .release, lease: lease, pool: "load/p0"),
                         response: ["jsonrpc": "2.0", "id": 0, "error": ["code": -32001, "message": "store unavailable: lost"]],
                         into: &statistics)
        #expect(controller.held == [HeldLease(id: lease.id, pool: "load/p0", revision: 7, releaseUncertain: true)])
        // Neither renewed nor retried: released again.
        let again = try #require(controller.plan(count: 1).first)
        #expect(again.operation == .release)
        #expect(again.lease?.id == lease.id)
        controller.judge(again, response: ["jsonrpc": "2.0", "id": 0, "result": ["released": false, "state": "released"]],
                         into: &statistics)
        #expect(statistics.violationCount == 0)
        #expect(statistics.errors == ["-32001": 1])
        // Expired is something else: the lease was held, and it was not released by us.
        controller.judge(again, response: ["jsonrpc": "2.0", "id": 0, "result": ["released": false, "state": "expired"]],
                         into: &statistics)
        #expect(statistics.violationCount == 1)
    }
}
