import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue #9: several quotad replicas on one PostgreSQL database keep one consistent ledger. Real
/// PostgreSQL (started by the test, ``PostgresCluster``), real quotad processes, concurrent clients.
@Suite(.serialized) struct PostgresReplicaTests {
    /// The pool under contention: 10 cpu, each lease 1 cpu.
    static let capacity = 10
    static let pool = "c1/ns"

    /// What the clients learned, shared between their threads.
    final class Ledger: @unchecked Sendable {
        let lock = NSLock()
        /// Granted, and the grant was acknowledged.
        var held: Set<String> = []
        /// Every id a reserve was sent for (acknowledged or not).
        var attempted: Set<String> = []
        /// A release was acknowledged.
        var released: Set<String> = []
        /// Error codes by count; "transport" for a failed connection.
        var outcomes: [String: Int] = [:]
        var steps = 0
        /// Successful answers of each replica, by port.
        var answered: [Int: Int] = [:]
        /// The monitor's readings, and the ones over capacity.
        var checks = 0
        var overCapacity: [String] = []
        /// Set once replica a is dead: clients then call b only.
        var killed = false

        func with<T>(_ body: (Ledger) -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            return body(self)
        }
    }

    /// One client: reserves fresh 1-cpu leases and releases one it holds about half the time, on
    /// replicas chosen by `pick`, for at most `steps` steps and `seconds` seconds.
    static func client(steps: Int, seconds: Double, ledger: Ledger, pick: @escaping (inout SystemRandomNumberGenerator) -> Int) {
        var random = SystemRandomNumberGenerator()
        var mine: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        for _ in 0..<steps where Date() < deadline {
            let port = pick(&random)
            let client = RPCClient(port: port)
            let id = UUID().uuidString.lowercased()
            ledger.with { $0.attempted.insert(id); $0.steps += 1 }
            let outcome = Self.outcome { try client.call("reserve", ["pool": pool, "lease": id, "resources": ["cpu": "1"], "ttlSeconds": 600]) }
            ledger.with { ledger in
                ledger.outcomes[outcome.code, default: 0] += 1
                if outcome.ok { ledger.held.insert(id); ledger.answered[port, default: 0] += 1 }
            }
            if outcome.ok { mine.append(id) }
            if !mine.isEmpty && Bool.random(using: &random) {
                let victim = mine.remove(at: Int.random(in: 0..<mine.count, using: &random))
                let releaser = RPCClient(port: pick(&random))
                let released = Self.outcome { try releaser.call("release", ["lease": victim]) }
                ledger.with { ledger in
                    ledger.outcomes[released.code, default: 0] += 1
                    if released.ok {
                        ledger.held.remove(victim)
                        ledger.released.insert(victim)
                        ledger.answered[releaser.port, default: 0] += 1
                    }
                }
                // Not acknowledged: it may or may not be released; keep trying it later.
                if !released.ok { mine.append(victim) }
            }
        }
    }

    /// A call's outcome: "ok", a JSON-RPC error code, or "transport".
    static func outcome(_ call: () throws -> [String: Any]) -> (ok: Bool, code: String) {
        guard let response = try? call() else { return (false, "transport") }
        if response["result"] != nil { return (true, "ok") }
        let code = (response["error"] as? [String: Any])?["code"] as? Int
        return (false, code.map(String.init) ?? "malformed")
    }

    /// Reserved cpu and the active lease ids of the pool, as one replica reports them.
    static func snapshot(_ port: Int) throws -> (reserved: Int, active: Set<String>) {
        let result = try RPCClient(port: port).result("inspect", ["pool": pool, "includeLeases": true])
        let view = try #require(result["pool"] as? [String: Any])
        let reserved = Int(((view["reserved"] as? [String: Any])?["cpu"] as? String) ?? "0") ?? -1
        let leases = (result["leases"] as? [[String: Any]]) ?? []
        return (reserved, Set(leases.compactMap { $0["id"] as? String }))
    }

    /// Polls /readyz until it answers `status`, for at most `seconds`.
    static func waitForReadiness(_ port: Int, status: Int, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? RPCClient(port: port).request("GET", "/readyz").status) == status { return true }
            usleep(50_000)
        }
        return false
    }

    /// Runs `body` on `count` threads and waits for them all.
    static func threads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) -> DispatchGroup {
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            Thread {
                body(index)
                group.leave()
            }.start()
        }
        return group
    }

    /// The invariants after a run, checked on `port`: every acknowledged and unreleased lease is
    /// active (nothing acknowledged was lost), nothing active was never asked for, and the pool's
    /// reserved is exactly the sum of its active leases, within capacity.
    static func checkInvariants(_ ledger: Ledger, on port: Int) throws {
        let (reserved, active) = try snapshot(port)
        let (held, attempted, released) = ledger.with { ($0.held, $0.attempted, $0.released) }
        #expect(held.isSubset(of: active), "acknowledged leases missing: \(held.subtracting(active).sorted())")
        #expect(active.isSubset(of: attempted), "leases nobody asked for: \(active.subtracting(attempted).sorted())")
        #expect(active.isDisjoint(with: released), "acknowledged releases still active: \(active.intersection(released).sorted())")
        #expect(reserved == active.count, "reserved \(reserved) cpu for \(active.count) active 1-cpu leases")
        #expect(reserved <= capacity)
    }

    /// Two replicas, 16 clients reserving at both at once in one small pool; a monitor checks the
    /// capacity all along; one replica is killed (SIGKILL) mid-run. No acknowledged lease is lost,
    /// the survivor keeps serving, and a replica started afterwards answers the same.
    @Test func twoReplicasShareOnePoolAndSurviveTheLossOfOne() throws {
        let cluster = try PostgresCluster()
        defer { cluster.shutdown() }
        let url = try cluster.createDatabase("replicas")
        let a = try QuotadProcess(arguments: ["--store", url])
        let b = try QuotadProcess(arguments: ["--store", url])
        _ = try a.client.result("setPool", ["pool": "c1", "capacity": ["cpu": "12"]])
        _ = try b.client.result("setPool", ["pool": Self.pool, "capacity": ["cpu": String(Self.capacity)]])

        let ledger = Ledger()
        let (portA, portB) = (a.port, b.port)
        let work = Self.threads(16) { index in
            Self.client(steps: 150, seconds: 90, ledger: ledger) { random in
                ledger.with { $0.killed } ? portB : (Bool.random(using: &random) ? portA : portB)
            }
        }
        let monitor = Self.threads(1) { _ in
            // Bounded by the clients' own bounds (they end within 90 s), and by count.
            for _ in 0..<100_000 where work.wait(timeout: .now()) == .timedOut {
                for port in [portA, portB] {
                    guard let (reserved, _) = try? Self.snapshot(port) else { continue }
                    ledger.with { ledger in
                        ledger.checks += 1
                        if reserved > Self.capacity { ledger.overCapacity.append("\(port): \(reserved)") }
                    }
                }
            }
        }
        // Kill replica a once a third of the steps are done (bounded wait).
        let deadline = Date().addingTimeInterval(60)
        while ledger.with({ $0.steps }) < 16 * 150 / 3 && Date() < deadline { usleep(10_000) }
        a.stop(signal: SIGKILL)
        let stepsAtKill = ledger.with { $0.steps }
        let answeredByBAtKill = ledger.with { $0.answered[portB] ?? 0 }
        ledger.with { $0.killed = true }
        #expect(work.wait(timeout: .now() + 120) == .success)
        #expect(monitor.wait(timeout: .now() + 30) == .success)

        let (outcomes, answeredByB) = ledger.with { ($0.outcomes, $0.answered[portB] ?? 0) }
        #expect(stepsAtKill >= 16 * 150 / 3, "replica a was killed mid-run")
        #expect(answeredByB > answeredByBAtKill, "replica b kept serving after a died (\(answeredByBAtKill) → \(answeredByB))")
        #expect((outcomes["ok"] ?? 0) > 100 && (outcomes["1002"] ?? 0) > 0, "contention: \(outcomes)")
        let (checks, overCapacity) = ledger.with { ($0.checks, $0.overCapacity) }
        print("two replicas: outcomes \(outcomes), killed after \(stepsAtKill) steps, b answered \(answeredByBAtKill) → \(answeredByB), monitor readings \(checks)")
        #expect(overCapacity.isEmpty, "seen over capacity: \(overCapacity)")
        #expect(checks > 10, "the monitor read the pool \(checks) times")
        try Self.checkInvariants(ledger, on: portB)

        // A replica started now reads the same ledger.
        let c = try QuotadProcess(arguments: ["--store", url])
        let fromB = try Self.snapshot(portB)
        let fromC = try Self.snapshot(c.port)
        #expect(fromB.reserved == fromC.reserved && fromB.active == fromC.active)
        #expect(try b.client.result("inspect", [:])["revision"] as? Int == (try c.client.result("inspect", [:])["revision"] as? Int))
    }

    /// PostgreSQL stops during load and starts again: calls get -32001 and /readyz 503 meanwhile,
    /// both replicas recover by themselves, and the invariants hold afterwards.
    @Test func aDatabaseRestartDuringLoadGivesStoreUnavailableThenRecovery() throws {
        let cluster = try PostgresCluster()
        defer { cluster.shutdown() }
        let url = try cluster.createDatabase("restart")
        let a = try QuotadProcess(arguments: ["--store", url])
        let b = try QuotadProcess(arguments: ["--store", url])
        _ = try a.client.result("setPool", ["pool": Self.pool, "capacity": ["cpu": String(Self.capacity)]])
        let (portA, portB) = (a.port, b.port)

        let ledger = Ledger()
        let work = Self.threads(8) { index in
            Self.client(steps: 400, seconds: 90, ledger: ledger) { random in
                Bool.random(using: &random) ? portA : portB
            }
        }
        let deadline = Date().addingTimeInterval(60)
        while ledger.with({ $0.steps }) < 400 && Date() < deadline { usleep(10_000) }
        try cluster.stop()
        #expect(Self.waitForReadiness(portA, status: 503, seconds: 10), "/readyz says 503 while the database is down")
        let unavailableBefore = ledger.with { $0.outcomes["-32001"] ?? 0 }
        // Keep it down until the clients have met it (bounded).
        let downDeadline = Date().addingTimeInterval(10)
        while ledger.with({ $0.outcomes["-32001"] ?? 0 }) < unavailableBefore + 20 && Date() < downDeadline { usleep(20_000) }
        try cluster.start()
        #expect(Self.waitForReadiness(portA, status: 200, seconds: 30), "replica a recovered")
        #expect(Self.waitForReadiness(portB, status: 200, seconds: 30), "replica b recovered")
        let okAtRecovery = ledger.with { $0.outcomes["ok"] ?? 0 }
        #expect(work.wait(timeout: .now() + 120) == .success)

        let outcomes = ledger.with { $0.outcomes }
        print("database restart: outcomes \(outcomes), ok at recovery \(okAtRecovery)")
        #expect((outcomes["-32001"] ?? 0) > 0, "calls met the outage: \(outcomes)")
        #expect((outcomes["ok"] ?? 0) > okAtRecovery, "calls succeed again after the restart: \(outcomes)")
        #expect(outcomes["transport"] == nil, "quotad itself never dropped a connection: \(outcomes)")
        #expect(Set(outcomes.keys).isSubset(of: ["ok", "1002", "-32001"]), "\(outcomes)")
        try Self.checkInvariants(ledger, on: portA)
        let (fromA, fromB) = (try Self.snapshot(portA), try Self.snapshot(portB))
        #expect(fromA.reserved == fromB.reserved && fromA.active == fromB.active, "both replicas answer the same")
        #expect(a.standardError().contains("event=store_unavailable") && a.standardError().contains("event=store_recovered"))
    }

    /// Another session holds the revision row: reads are answered from a snapshot without the
    /// lock, while a change gives up after the replica's lock_timeout with -32001.
    @Test func readsGoOnWhileAnotherSessionHoldsTheLock() throws {
        let cluster = try PostgresCluster(fsync: false)
        defer { cluster.shutdown() }
        let url = try cluster.createDatabase("locked")
        let server = try QuotadProcess(arguments: ["--store", url])
        _ = try server.client.result("setPool", ["pool": "c1", "capacity": ["cpu": "4"]])
        let holder = Self.threads(1) { _ in
            _ = try? cluster.query("BEGIN; SELECT revision FROM quotad_meta FOR UPDATE; SELECT pg_sleep(60); COMMIT;", database: "locked")
        }
        // Bounded wait until the other session holds the row.
        var held = false
        for _ in 0..<100 where !held {
            held = (try? cluster.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND state = 'active' AND pid <> pg_backend_pid()", database: "locked")) == "1"
            if !held { usleep(50_000) }
        }
        try #require(held)
        let read = try server.client.call("inspect", ["pool": "c1"])
        #expect((read["result"] as? [String: Any])?["pool"] != nil, "inspect answered while the lock is held: \(read)")
        // Also when the reads arrive with the once-a-second sweep, which needs the lock.
        for _ in 0..<10 {
            let again = try server.client.call("inspect", ["pool": "c1"])
            #expect(again["result"] != nil, "\(again)")
            usleep(150_000)
        }
        let write = try server.client.call("reserve", ["pool": "c1", "lease": UUID().uuidString.lowercased(), "resources": ["cpu": "1"]])
        let error = write["error"] as? [String: Any]
        #expect(error?["code"] as? Int == -32001)
        #expect((error?["message"] as? String)?.contains("lock timeout") == true, "\(write)")
        _ = try cluster.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()", database: "locked")
        #expect(holder.wait(timeout: .now() + 30) == .success)
        #expect(try server.client.call("reserve", ["pool": "c1", "lease": UUID().uuidString.lowercased(), "resources": ["cpu": "1"]])["result"] != nil)
    }
}
