import JSON
import Testing
@testable import QuotaLoad

/// The end-of-run check of issue 8 on fabricated snapshots: it passes a consistent server and
/// names each kind of inconsistency.
struct ConsistencyCheckTests {
    static let a = "00000000-0000-4000-8000-00000000000a"
    static let b = "00000000-0000-4000-8000-00000000000b"

    static func lease(_ id: String, cpu: String = "100m", memory: String = "128Mi", state: String = "active") -> PoolSnapshot.ListedLease {
        .init(id: id, state: state, resources: ["limits.cpu": cpu, "limits.memory": memory])
    }

    static func consistent() -> PoolSnapshot {
        PoolSnapshot(name: "load/p0", capacity: ["limits.cpu": "1", "limits.memory": "1Gi"],
                     reserved: ["limits.cpu": "200m", "limits.memory": "256Mi"], overcommitted: false, activeLeases: 2,
                     leases: [lease(a), lease(b)])
    }

    static let held = [HeldLease(id: a, pool: "load/p0", revision: 3), HeldLease(id: b, pool: "load/p0", revision: 4)]

    @Test func consistentSnapshotPasses() {
        #expect(ConsistencyCheck.violations(snapshots: [Self.consistent()], held: Self.held) == [])
    }

    @Test func sumsAreExactAcrossUnits() {
        var pool = Self.consistent()
        pool.leases = [Self.lease(Self.a, cpu: "0.5", memory: "1Gi"), Self.lease(Self.b, cpu: "250m", memory: "512Mi")]
        pool.capacity = ["limits.cpu": "1", "limits.memory": "2Gi"]
        pool.reserved = ["limits.cpu": "750m", "limits.memory": "1536Mi"]
        #expect(ConsistencyCheck.violations(snapshots: [pool], held: Self.held) == [])
    }

    @Test func heldLeaseAbsentFromThePoolIsMissing() {
        var pool = Self.consistent()
        pool.leases = [Self.lease(Self.a)]
        pool.activeLeases = 1
        pool.reserved = ["limits.cpu": "100m", "limits.memory": "128Mi"]
        #expect(ConsistencyCheck.violations(snapshots: [pool], held: Self.held)
            == ["missing: lease \(Self.b) was granted in load/p0 and is not among its active leases"])
    }

    @Test func reservedThatIsNotTheSumOfLeasesFails() {
        var pool = Self.consistent()
        pool.reserved["limits.memory"] = "384Mi"
        #expect(ConsistencyCheck.violations(snapshots: [pool], held: Self.held)
            == ["sum: load/p0 reserved 384Mi of limits.memory, its active leases sum to 256Mi"])
    }

    @Test func resourceReservedWithoutLeasesFails() {
        var pool = Self.consistent()
        pool.reserved["pods"] = "1"
        #expect(ConsistencyCheck.violations(snapshots: [pool], held: Self.held)
            == ["sum: load/p0 reserved 1 of pods, its active leases sum to 0"])
    }

    @Test func overCapacityAndOvercommittedFail() {
        var pool = Self.consistent()
        pool.capacity["limits.cpu"] = "150m"
        pool.overcommitted = true
        #expect(ConsistencyCheck.violations(snapshots: [pool], held: Self.held) == [
            "over capacity: load/p0 reports overcommitted",
            "over capacity: load/p0 reserved 200m of limits.cpu, capacity 150m",
        ])
    }

    @Test func countAndStateMismatchesFail() {
        var pool = Self.consistent()
        pool.activeLeases = 3
        pool.leases[1].state = "expired"
        let found = ConsistencyCheck.violations(snapshots: [pool], held: Self.held)
        #expect(found.contains("missing: lease \(Self.b) in load/p0 is expired, not active"))
        #expect(found.contains("count: load/p0 reports 3 active leases and lists 2"))
        #expect(found.contains("state: load/p0 lists lease \(Self.b) as expired"))
    }

    @Test func snapshotReadsAnInspectResult() throws {
        let text = """
            {"pool":{"name":"load/p0","capacity":{"limits.cpu":"1"},"reserved":{"limits.cpu":"100m"},"available":{"limits.cpu":"900m"},
            "overcommitted":false,"maxLeases":null,"activeLeases":1,"children":0,"labels":{},"revision":7},"children":[],
            "leases":[{"id":"\(Self.a)","pool":"load/p0","resources":{"limits.cpu":"100m"},"state":"active"}],"revision":7}
            """
        let snapshot = try PoolSnapshot(inspectResult: JSONReader.parse(text))
        #expect(snapshot == PoolSnapshot(name: "load/p0", capacity: ["limits.cpu": "1"], reserved: ["limits.cpu": "100m"],
                                         overcommitted: false, activeLeases: 1,
                                         leases: [.init(id: Self.a, state: "active", resources: ["limits.cpu": "100m"])]))
        #expect(throws: LoadError.setup("load/p0: no leases (includeLeases)")) {
            try PoolSnapshot(inspectResult: JSONReader.parse(text.replacingOccurrences(of: "\"leases\"", with: "\"other\"")))
        }
    }

    @Test func missingLeasesAreNamedUpToALimitThenCounted() {
        let pool = PoolSnapshot(name: "load/p0", capacity: ["limits.cpu": "10"], reserved: [:], overcommitted: false,
                                activeLeases: 0, leases: [])
        let held = (0..<13).map { HeldLease(id: "00000000-0000-4000-8000-0000000000\(10 + $0)", pool: "load/p0", revision: 1) }
        let found = ConsistencyCheck.violations(snapshots: [pool], held: held)
        #expect(found.count == ConsistencyCheck.missingListed + 1)
        #expect(found[0] == "missing: lease \(held[0].id) was granted in load/p0 and is not among its active leases")
        #expect(found.last == "missing: 3 more of the 13 held leases are not active")
    }

    @Test func serversThatReportTheSameReservedAmountsAgree() {
        var same = Self.consistent()
        same.reserved = ["limits.cpu": "0.2", "limits.memory": "0.25Gi", "pods": "0"]
        #expect(ConsistencyCheck.disagreements([("http://a/rpc", [Self.consistent()]), ("http://b/rpc", [same])]) == [])
        // One server alone, or none, has nobody to disagree with.
        #expect(ConsistencyCheck.disagreements([("http://a/rpc", [Self.consistent()])]) == [])
        #expect(ConsistencyCheck.disagreements([]) == [])
    }

    @Test func serversThatReportDifferentReservedAmountsDisagree() {
        var other = Self.consistent()
        other.reserved = ["limits.cpu": "100m", "limits.memory": "128Mi"]
        var empty = Self.consistent()
        empty.reserved = [:]
        var parent = Self.consistent()
        parent.name = "load"
        #expect(ConsistencyCheck.disagreements([
            ("http://a/rpc", [parent, Self.consistent()]), ("http://b/rpc", [parent, other]), ("http://c/rpc", [parent, empty]),
        ]) == [
            "replicas disagree: load/p0 reserved limits.cpu=200m,limits.memory=256Mi at http://a/rpc; "
                + "limits.cpu=100m,limits.memory=128Mi at http://b/rpc; nothing at http://c/rpc",
        ])
    }

    @Test func aLeaseWhoseReleaseIsUncertainMayBeMissing() {
        var held = Self.held
        held.append(HeldLease(id: "00000000-0000-4000-8000-00000000000c", pool: "load/p0", revision: 5, releaseUncertain: true))
        #expect(ConsistencyCheck.violations(snapshots: [Self.consistent()], held: held) == [])
    }
}
