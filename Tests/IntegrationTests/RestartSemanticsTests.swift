import Foundation
import QuotaCore
import QuotaStore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Restart semantics and store faults of the real binary (issue #4).
@Suite(.serialized)
struct RestartSemanticsTests {
    @Test func leaseThatExpiredWhileDownIsFreedBeforeTheFirstRequest() throws {
        let directory = QuotadProcess.makeDataDirectory()
        let first = try QuotadProcess(dataDirectory: directory)
        _ = try first.client.result("setPool", ["pool": "c1", "capacity": ["limits.cpu": "2"]])
        let lease = "0b7e3d1c-5a2f-4e6b-8c9d-1e2f3a4b5c6d"
        _ = try first.client.result("reserve", ["pool": "c1", "lease": lease, "resources": ["limits.cpu": "2"], "ttlSeconds": 1])
        first.stop(signal: SIGTERM)
        Thread.sleep(forTimeInterval: 1.5)

        let second = try QuotadProcess(dataDirectory: directory)
        let pool = try #require(try second.client.result("inspect", ["pool": "c1"])["pool"] as? [String: Any])
        #expect(pool["activeLeases"] as? Int == 0)
        #expect(pool["reserved"] as? [String: String] == [:])
        let ended = try #require(try second.client.result("inspect", ["lease": lease])["lease"] as? [String: Any])
        #expect(ended["state"] as? String == "expired")
    }

    @Test(.enabled(if: TestStore.current == .sqlite, "about the SQLite file"), arguments: ["garbage", "foreign"])
    func aFileThatIsNotQuotadsIsRefusedNamingIt(kind: String) throws {
        let directory = QuotadProcess.makeDataDirectory()
        let database = directory.appendingPathComponent("quotad.sqlite")
        if kind == "garbage" {
            try Data(repeating: 0xAB, count: 8192).write(to: database)
        } else {
            let sqlite = Process()
            sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            sqlite.arguments = ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table invoices(id integer)'); c.commit()", database.path]
            try sqlite.run()
            sqlite.waitUntilExit()
            try #require(sqlite.terminationStatus == 0)
        }
        let before = try Data(contentsOf: database)
        let error = #expect(throws: HarnessError.self) { _ = try QuotadProcess(dataDirectory: directory) }
        #expect(error?.description.contains(database.path) == true, "the start-up error names the file: \(String(describing: error))")
        #expect(try Data(contentsOf: database) == before, "the file was left as it was")
    }

    /// 100,000 leases due in the same second are freed in slices of at most 1000 per loop pass,
    /// and requests sent during the storm are answered before it ends.
    @Test(.enabled(if: TestStore.current == .sqlite, "edits the SQLite file to make the leases due"))
    func expiryStormIsFreedInSlicesWhileOtherRequestsAreAnswered() throws {
        let count = Int(ProcessInfo.processInfo.environment["QUOTAD_STORM_LEASES"] ?? "") ?? 100_000
        let directory = QuotadProcess.makeDataDirectory()
        // Seed the store through quotad's own store, every lease due in an hour.
        let later = Timestamp(nanosecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1e9) + 3_600_000_000_000)
        do {
            let store = try SQLiteStore(directory: directory.path)
            let pool = Pool(name: try PoolPath("c1"), capacity: ResourceList(), maxLeases: nil, base: nil, labels: [:], revision: 1)
            let cpu = try ResourceName("limits.cpu")
            var leases: [LeaseID: Lease?] = [:]
            for n in 0..<count {
                let id = try LeaseID(String(format: "00000000-0000-4000-8000-%012d", n))
                leases[id] = Lease(
                    id: id, pool: pool.name, resources: ResourceList([cpu: Quantity(integer: 1)]), holder: "storm", labels: [:],
                    state: .active, createdAt: later.adding(seconds: -60), expiresAt: later, ttlSeconds: 60,
                    revision: Int64(n + 2), modRevision: Int64(n + 2), endedAt: nil
                )
            }
            try store.commit(ChangeSet(pools: [pool.name: pool], leases: leases, revision: Int64(count + 1)))
        }
        // How long this machine takes to load them, right now (it may be busy).
        let loading = Date()
        let probe = try QuotadProcess(dataDirectory: directory)
        _ = try probe.client.result("inspect", ["pool": "c1"])
        probe.stop()
        let margin = max(5, 3 * Date().timeIntervalSince(loading))
        // Then every lease is made due in the same moment, `margin` seconds from now: after quotad
        // has loaded them and serves, before the test gives up.
        let due = Int64((Date().timeIntervalSince1970 + margin) * 1e9)
        let update = try ExternalCommand.run([
            "python3", "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('update leases set expires_at=?', (int(sys.argv[2]),)); c.commit()",
            directory.appendingPathComponent("quotad.sqlite").path, String(due),
        ])
        try #require(update.status == 0, "\(update.standardError)")

        let server = try QuotadProcess(dataDirectory: directory)
        let client = server.client
        let atStart = try #require(try client.result("inspect", ["pool": "c1"])["pool"] as? [String: Any])
        try #require(atStart["activeLeases"] as? Int == count, "quotad took longer than \(margin) s to start")
        var observedBetween = false
        var worst = 0.0
        var answered = 0
        let giveUp = Date().addingTimeInterval(120)
        while Date() < giveUp {
            let start = Date()
            let pool = try #require(try client.result("inspect", ["pool": "c1"])["pool"] as? [String: Any])
            worst = max(worst, Date().timeIntervalSince(start))
            answered += 1
            let active = pool["activeLeases"] as? Int ?? -1
            if active > 0 && active < count { observedBetween = true }
            if active == 0 { break }
            usleep(2_000)
        }
        let pool = try #require(try client.result("inspect", ["pool": "c1"])["pool"] as? [String: Any])
        #expect(pool["activeLeases"] as? Int == 0, "the storm did not finish")
        #expect(observedBetween, "no request was answered between two expiry slices")
        print("expiry storm: \(count) leases, \(answered) inspect calls answered, worst latency \(String(format: "%.1f", worst * 1000)) ms")
    }
}
