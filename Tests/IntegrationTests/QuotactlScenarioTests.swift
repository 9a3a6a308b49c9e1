import Foundation
import QuotaCore
import Testing

/// Issue 5's end-to-end scenarios 1 to 5: the real quotactl against the real quotad, on the
/// fixtures in ../shared/fixtures/kubernetes (numbers from harvester/harvester bug reports).
@Suite(.serialized)
struct QuotactlScenarioTests {
    static let fixtures = "../shared/fixtures/kubernetes"

    /// A ResourceList from JSON compared by value: {"limits.memory": "24Gi"} equals "24576Mi".
    static func amounts(_ value: Any?) throws -> [String: Quantity] {
        let object = try #require(value as? [String: String], "not a ResourceList: \(String(describing: value))")
        return try object.mapValues { try Quantity(parsing: $0) }
    }

    static func list(_ entries: [String: String]) throws -> [String: Quantity] {
        try entries.mapValues { try Quantity(parsing: $0) }
    }

    /// The pool's view through `quotactl inspect POOL -o json`.
    static func pool(_ server: QuotadProcess, _ name: String) throws -> [String: Any] {
        try #require(try server.quotactlOK("inspect", name, "-o", "json").object["pool"] as? [String: Any])
    }

    // MARK: 1. Long names

    @Test func scenario1LongNamesReserveAndReleaseAndEffectiveReturnsToBase() throws {
        let server = try QuotadProcess()
        let scratch = try ManifestScratch()
        defer { scratch.remove() }
        _ = try server.quotactlOK("pool", "set", "c1", "--capacity", "limits.cpu=16,limits.memory=64Gi")
        _ = try server.quotactlOK("pool", "set", "c1/finance", "--capacity", "limits.cpu=8,limits.memory=32Gi",
                                  "--base", "limits.cpu=4,limits.memory=8Gi")

        // 53, 54 and 63 characters written here; 60 is the fixture as kubectl prints it.
        var vms: [(name: String, uid: String, file: String)] = []
        for (length, uid) in [(53, "53535353-0000-4000-8000-000000000053"), (54, "54545454-0000-4000-8000-000000000054"),
                              (63, "63636363-0000-4000-8000-000000000063")] {
            let name = "vm-" + String(repeating: "a", count: length - 6) + "-\(length)"
            #expect(name.count == length)
            vms.append((name, uid, try scratch.vmi(name: name, namespace: "finance", uid: uid, cpu: "1", memory: "2Gi")))
        }
        vms.append(("prod-erp-database-primary-replica-for-finance-team-eu-west-2", "4ba71ab7-ac05-44a5-acc6-be1805fdf179",
                    "\(Self.fixtures)/vmi-long-name-60.yaml"))
        #expect(vms.map(\.name.count).sorted() == [53, 54, 60, 63])

        for vm in vms {
            let reserved = try server.quotactlOK("reserve", "-f", vm.file, "--cluster", "c1", "--ttl", "15m", "-o", "json").object
            let lease = try #require(reserved["lease"] as? [String: Any])
            #expect(lease["id"] as? String == vm.uid)
            #expect(lease["pool"] as? String == "c1/finance")
            #expect((lease["labels"] as? [String: String])?["vmName"] == vm.name)
            #expect(lease["ttlSeconds"] as? Int == 900)
            #expect(try Self.amounts(lease["resources"]) == Self.list(["limits.cpu": "1", "limits.memory": "2Gi"]))
        }
        let during = try Self.pool(server, "c1/finance")
        #expect(try Self.amounts(during["effective"]) == Self.list(["limits.cpu": "8", "limits.memory": "16Gi"]))
        #expect(during["activeLeases"] as? Int == 4)
        for vm in vms {
            let found = try server.quotactlOK("inspect", "c1/finance", "--vm-name", vm.name, "-o", "json").object
            #expect((found["lease"] as? [String: Any])?["id"] as? String == vm.uid)
        }

        // Release each a different way: by id, by -f with its uid, by -f without uid (pool + vmName).
        _ = try server.quotactlOK("release", vms[0].uid)
        _ = try server.quotactlOK("release", "-f", vms[3].file)
        let byName = try scratch.vmi(name: vms[1].name, namespace: "finance", uid: nil, cpu: "1", memory: "2Gi")
        let released = try server.quotactlOK("release", "-f", byName, "--cluster", "c1", "-o", "json").object
        #expect(released["released"] as? Bool == true)
        #expect((released["lease"] as? [String: Any])?["id"] as? String == vms[1].uid)
        _ = try server.quotactlOK("release", "-f", vms[2].file)

        let after = try Self.pool(server, "c1/finance")
        #expect(after["effective"] as? [String: String] == ["limits.cpu": "4", "limits.memory": "8Gi"])
        #expect(after["activeLeases"] as? Int == 0)
        #expect((try server.quotactlOK("leases", "c1/finance", "-o", "json").json as? [Any])?.isEmpty == true)
    }

    // MARK: 2. Concurrent evacuations

    /// Each VMI of vmi-list-evacuation.json in a file of its own, for four processes at once.
    static func evacuationFiles(_ scratch: ManifestScratch) throws -> [(name: String, uid: String, file: String)] {
        let text = try String(contentsOfFile: QuotactlProcess.repositoryRoot.appendingPathComponent("\(fixtures)/vmi-list-evacuation.json").path,
                              encoding: .utf8)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let items = try #require(list["items"] as? [[String: Any]])
        return try items.map { item in
            let metadata = try #require(item["metadata"] as? [String: Any])
            let name = try #require(metadata["name"] as? String), uid = try #require(metadata["uid"] as? String)
            return (name, uid, try scratch.write("\(name).json", String(decoding: try JSONSerialization.data(withJSONObject: item), as: UTF8.self)))
        }
    }

    @Test func scenario2ConcurrentEvacuationsGrantExactlyThreeThenTheFourthAfterARelease() throws {
        let server = try QuotadProcess()
        let scratch = try ManifestScratch()
        defer { scratch.remove() }
        // Namespace headroom of 3 CPU; base from the ResourceQuota's spec.hard.
        _ = try server.quotactlOK("pool", "import", "-f", "\(Self.fixtures)/resourcequota-team-a.yaml", "--cluster", "c1",
                                  "--capacity", "limits.cpu=3,limits.memory=64Gi")
        let files = try Self.evacuationFiles(scratch)
        #expect(files.count == 4)

        final class Outcomes: @unchecked Sendable {
            let lock = NSLock()
            var byIndex: [Int: Result<QuotactlProcess.Outcome, Error>] = [:]
        }
        let outcomes = Outcomes()
        let url = server.url
        let paths = files.map(\.file)
        DispatchQueue.concurrentPerform(iterations: paths.count) { index in
            let result = Result {
                try QuotactlProcess.run(["reserve", "-f", paths[index], "--cluster", "c1", "--memory-overhead", "225093633",
                                         "-o", "json", "--server", url])
            }
            outcomes.lock.lock()
            outcomes.byIndex[index] = result
            outcomes.lock.unlock()
        }
        let results = try (0..<paths.count).map { try #require(outcomes.byIndex[$0]).get() }
        let granted = results.indices.filter { results[$0].status == 0 }
        let denied = results.indices.filter { results[$0].status != 0 }
        #expect(granted.count == 3, "\(results)")
        #expect(denied.count == 1, "\(results)")
        for index in granted {
            let lease = try #require(results[index].object["lease"] as? [String: Any])
            #expect(lease["id"] as? String == files[index].uid)
            #expect(lease["resources"] as? [String: String] == ["limits.cpu": "1", "limits.memory": "2372577281"])
        }
        let deniedIndex = try #require(denied.first)
        let message = results[deniedIndex].stderr
        #expect(message.contains("error 1002"))
        #expect(message.contains("\"shortfall\":{\"limits.cpu\":\"1\"}"), "\(message)")
        #expect(message.contains(files[deniedIndex].name))

        let pool = try Self.pool(server, "c1/team-a")
        #expect(pool["reserved"] as? [String: String] == ["limits.cpu": "3", "limits.memory": "7117731843"]) // 3 × 2372577281
        #expect(pool["activeLeases"] as? Int == 3)

        // One migration ends; the fourth is granted.
        _ = try server.quotactlOK("release", files[granted[0]].uid)
        let retry = try server.quotactlOK("reserve", "-f", files[deniedIndex].file, "--cluster", "c1",
                                          "--memory-overhead", "225093633", "-o", "json")
        #expect((retry.object["lease"] as? [String: Any])?["id"] as? String == files[deniedIndex].uid)
        #expect(try Self.pool(server, "c1/team-a")["activeLeases"] as? Int == 3)
    }

    @Test func scenario2TheWholeListInOneRunGrantsThreeAndNamesTheFourth() throws {
        let server = try QuotadProcess()
        _ = try server.quotactlOK("pool", "import", "-f", "\(Self.fixtures)/resourcequota-team-a.yaml", "--cluster", "c1",
                                  "--capacity", "limits.cpu=3,limits.memory=64Gi")
        let outcome = try server.quotactl("reserve", "-f", "\(Self.fixtures)/vmi-list-evacuation.json", "--cluster", "c1",
                                          "--memory-overhead", "225093633", "-o", "json")
        #expect(outcome.status != 0)
        let granted = try #require(outcome.json as? [[String: Any]], "\(outcome)")
        #expect(granted.compactMap { ($0["lease"] as? [String: Any])?["labels"] as? [String: String] }.map { $0["vmName"] }
            == ["evac-vm-01", "evac-vm-02", "evac-vm-03"])
        #expect(outcome.stderr.contains("reserve evac-vm-04 (lease e7fb3f46-c937-4388-967d-d69a83f614dc) in pool c1/team-a"))
        #expect(outcome.stderr.contains("lacks 1 of limits.cpu"))
        #expect(outcome.stderr.contains("1 of 4 reservations failed"))
    }

    // MARK: 3. Quota reset

    @Test func scenario3QuotaResetKeepsEffectiveBasePlusLeasesAndEndsAtBase() throws {
        let server = try QuotadProcess()
        let scratch = try ManifestScratch()
        defer { scratch.remove() }
        _ = try server.quotactlOK("pool", "set", "c1/team-a", "--capacity", "limits.cpu=16,limits.memory=64Gi",
                                  "--base", "limits.cpu=30,limits.memory=60Gi", "--label", "project=p-4hwzn")
        let first = try scratch.vmi(name: "vm-4core-a", namespace: "team-a", uid: "0a0a0a0a-0000-4000-8000-00000000000a", cpu: "4", memory: "8Gi")
        let second = try scratch.vmi(name: "vm-4core-b", namespace: "team-a", uid: "0b0b0b0b-0000-4000-8000-00000000000b", cpu: "4", memory: "8Gi")
        _ = try server.quotactlOK("reserve", "-f", first, "--cluster", "c1")
        _ = try server.quotactlOK("reserve", "-f", second, "--cluster", "c1")
        #expect(try Self.amounts(Self.pool(server, "c1/team-a")["effective"]) == Self.list(["limits.cpu": "38", "limits.memory": "76Gi"]))

        // Rancher resets the quota to its limit during the migrations: the same base again.
        _ = try server.quotactlOK("pool", "set", "c1/team-a", "--capacity", "limits.cpu=16,limits.memory=64Gi",
                                  "--base", "limits.cpu=30,limits.memory=60Gi")
        var pool = try Self.pool(server, "c1/team-a")
        #expect(try Self.amounts(pool["effective"]) == Self.list(["limits.cpu": "38", "limits.memory": "76Gi"]))
        #expect(pool["labels"] as? [String: String] == ["project": "p-4hwzn"]) // pool set keeps labels
        // Then the project's limit is lowered: effective follows the new base.
        _ = try server.quotactlOK("pool", "set", "c1/team-a", "--capacity", "limits.cpu=16,limits.memory=64Gi",
                                  "--base", "limits.cpu=24,limits.memory=48Gi")
        #expect(try Self.amounts(Self.pool(server, "c1/team-a")["effective"]) == Self.list(["limits.cpu": "32", "limits.memory": "64Gi"]))

        _ = try server.quotactlOK("release", "-f", first)
        #expect(try Self.amounts(Self.pool(server, "c1/team-a")["effective"]) == Self.list(["limits.cpu": "28", "limits.memory": "56Gi"]))
        _ = try server.quotactlOK("release", "-f", second)
        pool = try Self.pool(server, "c1/team-a")
        #expect(pool["effective"] as? [String: String] == ["limits.cpu": "24", "limits.memory": "48Gi"])
        #expect(pool["effective"] as? [String: String] == pool["base"] as? [String: String])
    }

    // MARK: 4. A VM as large as the quota

    @Test func scenario4VMAsLargeAsTheQuotaIsExactToTheByte() throws {
        let server = try QuotadProcess()
        let scratch = try ManifestScratch()
        defer { scratch.remove() }
        _ = try server.quotactlOK("pool", "set", "c1/team-a", "--capacity", "limits.cpu=8,limits.memory=32Gi",
                                  "--base", "limits.cpu=8,limits.memory=24576Mi")
        let vm = try scratch.vmi(name: "vm-24gi", namespace: "team-a", uid: "24242424-0000-4000-8000-000000000024", cpu: "4", memory: "24Gi")
        let table = try server.quotactlOK("reserve", "-f", vm, "--cluster", "c1", "--memory-overhead", "331350017")
        // 24Gi + 331350017 = 25769803776 + 331350017 = 26101153793 bytes; effective = 24576Mi + that.
        #expect(table.stdout.contains("limits.cpu=4,limits.memory=26101153793"), "\(table)")
        #expect(table.stdout.contains("limits.cpu=12,limits.memory=51870957569"), "\(table)")

        let pool = try Self.pool(server, "c1/team-a")
        #expect(pool["reserved"] as? [String: String] == ["limits.cpu": "4", "limits.memory": "26101153793"])
        #expect(pool["available"] as? [String: String] == ["limits.cpu": "4", "limits.memory": "8258584575"])
        #expect(pool["effective"] as? [String: String] == ["limits.cpu": "12", "limits.memory": "51870957569"])
        let leases = try #require(try server.quotactlOK("leases", "c1/team-a", "-o", "json").json as? [[String: Any]])
        #expect(leases.first?["resources"] as? [String: String] == ["limits.cpu": "4", "limits.memory": "26101153793"])

        _ = try server.quotactlOK("release", "-f", vm)
        #expect(try Self.pool(server, "c1/team-a")["effective"] as? [String: String] == ["limits.cpu": "8", "limits.memory": "24Gi"])
    }

    // MARK: 5. Memory-only quota

    @Test func scenario5MemoryOnlyQuotaReservesMemoryOnly() throws {
        let server = try QuotadProcess()
        _ = try server.quotactlOK("pool", "set", "c1/finance", "--capacity", "limits.memory=4Gi", "--base", "limits.memory=2049Mi")
        let outcome = try server.quotactlOK("reserve", "-f", "\(Self.fixtures)/vmi-long-name-60.yaml", "--cluster", "c1", "-o", "json")
        let lease = try #require(outcome.object["lease"] as? [String: Any])
        #expect(lease["resources"] as? [String: String] == ["limits.memory": "2Gi"])
        #expect(outcome.stderr.contains("limits.cpu is not reserved"))
        let pool = try #require(outcome.object["pool"] as? [String: Any])
        #expect(try Self.amounts(pool["effective"]) == Self.list(["limits.memory": "4097Mi"]))
        #expect(pool["reserved"] as? [String: String] == ["limits.memory": "2Gi"])
    }
}
