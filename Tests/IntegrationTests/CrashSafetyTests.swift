import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Nothing acknowledged is ever lost (issue #4): concurrent clients reserve, renew and release on
/// random UUIDs and pools while quotad is killed with SIGKILL at random moments and restarted.
///
/// `QUOTAD_CRASH_CYCLES` sets the number of kill/restart cycles (default 20); for a longer manual
/// run: `QUOTAD_CRASH_CYCLES=200 swift test --filter CrashSafetyTests`.
@Suite(.serialized)
struct CrashSafetyTests {
    /// What the clients were told, keyed by lease id: true for an acknowledged grant, false for an
    /// acknowledged release. A call that got no answer (the kill) is uncertain and not recorded.
    final class Ledger: @unchecked Sendable {
        private let lock = NSLock()
        private var acknowledged: [String: Bool] = [:]
        private var uncertain: Set<String> = []

        func record(_ id: String, active: Bool) {
            lock.withLock { acknowledged[id] = active; uncertain.remove(id) }
        }

        func markUncertain(_ id: String) {
            lock.withLock { _ = uncertain.insert(id) }
        }

        var snapshot: (acknowledged: [String: Bool], uncertain: Set<String>) {
            lock.withLock { (acknowledged, uncertain) }
        }
    }

    static let pools = ["c1/ns0", "c1/ns1", "c2/ns0", "c2/ns1"]

    @Test func killedAtRandomMomentsLosesNothingAcknowledged() throws {
        let cycles = Int(ProcessInfo.processInfo.environment["QUOTAD_CRASH_CYCLES"] ?? "") ?? 20
        let directory = QuotadProcess.makeDataDirectory()
        var server = try QuotadProcess(dataDirectory: directory)
        for cluster in ["c1", "c2"] {
            _ = try server.client.result("setPool", ["pool": cluster, "capacity": ["limits.cpu": "40"]])
        }
        for pool in Self.pools {
            _ = try server.client.result("setPool", ["pool": pool, "capacity": ["limits.cpu": "16"], "maxLeases": 30])
        }
        let record = Ledger()
        var generator = SystemRandomNumberGenerator()
        var lastRevision = 0

        for cycle in 0..<cycles {
            let port = server.port
            let stop = DispatchTime.now() + .milliseconds(Int.random(in: 50...400, using: &generator))
            let group = DispatchGroup()
            for worker in 0..<4 {
                DispatchQueue.global().async(group: group) {
                    Self.drive(port: port, until: stop, seed: UInt64(cycle * 16 + worker), record: record)
                }
            }
            while DispatchTime.now() < stop { usleep(5_000) }
            server.stop(signal: SIGKILL)
            _ = group.wait(timeout: .now() + 30)

            server = try QuotadProcess(dataDirectory: directory)
            let revision = try Self.checkInvariants(server.client, record: record)
            #expect(revision >= lastRevision, "cycle \(cycle): the revision went back from \(lastRevision) to \(revision)")
            lastRevision = revision
        }
        let counts = record.snapshot
        #expect(counts.acknowledged.count > cycles, "the clients got too few answers to prove anything: \(counts.acknowledged.count)")
        print("CrashSafetyTests: \(cycles) SIGKILL cycles, \(counts.acknowledged.count) acknowledged leases checked, final revision \(lastRevision)")
    }

    /// One client: reserve fresh leases, sometimes retry, renew or release one of its own.
    static func drive(port: Int, until stop: DispatchTime, seed: UInt64, record: Ledger) {
        let client = RPCClient(port: port)
        var mine: [String] = []
        var rng = SplitMix64(state: seed)
        var calls = 0
        while DispatchTime.now() < stop && calls < 2_000 {
            calls += 1
            let roll = Int.random(in: 0..<100, using: &rng)
            if !mine.isEmpty && roll < 35 {
                let id = mine.remove(at: Int.random(in: 0..<mine.count, using: &rng))
                record.markUncertain(id)
                guard let response = try? client.call("release", ["lease": id]) else { return }
                if let result = response["result"] as? [String: Any], result["state"] as? String == "released" {
                    record.record(id, active: false)
                }
            } else if !mine.isEmpty && roll < 45 {
                _ = try? client.call("renew", ["lease": mine[Int.random(in: 0..<mine.count, using: &rng)], "ttlSeconds": 3600])
            } else {
                let id = UUID().uuidString
                let pool = pools[Int.random(in: 0..<pools.count, using: &rng)]
                record.markUncertain(id)
                guard let response = try? client.call("reserve", ["pool": pool, "lease": id, "resources": ["limits.cpu": "500m"], "ttlSeconds": 3600]) else { return }
                if response["result"] != nil {
                    record.record(id.lowercased(), active: true)
                    mine.append(id.lowercased())
                }
            }
        }
    }

    /// After a restart: every acknowledged grant is active, every acknowledged release is not,
    /// sums match the active leases, capacity holds. Returns the revision.
    static func checkInvariants(_ client: RPCClient, record: Ledger) throws -> Int {
        let snapshot = record.snapshot
        var active: [String: [String: Any]] = [:]
        for cluster in ["c1", "c2"] {
            let result = try client.result("inspect", ["pool": cluster, "includeLeases": true])
            for lease in result["leases"] as? [[String: Any]] ?? [] {
                let id = lease["id"] as? String ?? ""
                #expect(active[id] == nil, "lease \(id) is active twice")
                active[id] = lease
            }
        }
        for (id, isActive) in snapshot.acknowledged where !snapshot.uncertain.contains(id) {
            #expect((active[id] != nil) == isActive, "acknowledged \(isActive ? "grant" : "release") of \(id) was lost")
        }
        let all = try client.result("inspect")
        for pool in all["pools"] as? [[String: Any]] ?? [] {
            let name = pool["name"] as? String ?? ""
            let charged = active.values.filter { lease in
                let leasePool = lease["pool"] as? String ?? ""
                return leasePool == name || leasePool.hasPrefix(name + "/")
            }
            #expect(pool["activeLeases"] as? Int == charged.count, "\(name): activeLeases differs from its leases")
            let milli = charged.count * 500
            let reserved = (pool["reserved"] as? [String: String])?["limits.cpu"]
            let expected = milli == 0 ? nil : (milli % 1000 == 0 ? "\(milli / 1000)" : "\(milli)m")
            #expect(reserved == expected, "\(name): reserved \(String(describing: reserved)) but its leases hold \(milli)m")
            #expect(pool["overcommitted"] as? Bool == false, "\(name) is over capacity")
        }
        return all["revision"] as? Int ?? 0
    }
}
