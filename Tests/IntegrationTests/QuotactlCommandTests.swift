import Foundation
import Testing

/// quotactl's other commands and its error exits, against the real quotad (issue 5).
@Suite(.serialized)
struct QuotactlCommandTests {
    static let fixtures = QuotactlScenarioTests.fixtures

    /// A loopback URL nothing listens on: a quotad's port after it stopped.
    static func closedServerURL() throws -> String {
        let server = try QuotadProcess(arguments: ["--store", "memory"])
        let url = server.url
        server.stop()
        return url
    }

    @Test func poolImportTakesRancherBaseProjectAndLegacyMigrationsOnce() throws {
        let server = try QuotadProcess()
        _ = try server.quotactlOK("pool", "set", "c1", "--capacity", "limits.cpu=16,limits.memory=64Gi")
        let importArguments = ["pool", "import", "-f", "\(Self.fixtures)/resourcequota-team-a.yaml", "--cluster", "c1",
                               "--namespace-file", "\(Self.fixtures)/namespace-team-a.yaml"]
        // A new pool without --capacity: capacity = base.
        var outcome = try QuotactlProcess.run(importArguments + ["-o", "json", "--server", server.url])
        #expect(outcome.status == 0, "\(outcome)")
        var pool = try #require((outcome.object["setPool"] as? [String: Any])?["pool"] as? [String: Any])
        #expect(pool["name"] as? String == "c1/team-a")
        #expect(pool["base"] as? [String: String] == ["limits.cpu": "3", "limits.memory": "5000Mi"])
        #expect(pool["capacity"] as? [String: String] == ["limits.cpu": "3", "limits.memory": "5000Mi"])
        #expect(pool["labels"] as? [String: String] == ["cluster": "c1", "project": "p-4hwzn"])

        // --capacity wins; a later import without it keeps that capacity.
        outcome = try QuotactlProcess.run(importArguments + ["--capacity", "limits.cpu=8,limits.memory=32Gi", "--server", server.url])
        #expect(outcome.status == 0, "\(outcome)")
        outcome = try QuotactlProcess.run(importArguments + ["--with-migrations", "--vmis", "\(Self.fixtures)/vmi-list-team-a.json",
                                                             "-o", "json", "--server", server.url])
        #expect(outcome.status == 0, "\(outcome)")
        let imported = try #require(outcome.object["importAnnotations"] as? [String: Any])
        let leases = try #require(imported["imported"] as? [[String: Any]])
        #expect(Set(leases.compactMap { $0["id"] as? String })
            == ["3ddab6b5-edb6-4e2f-8d8e-b596c8965f78", "9d461576-6cd4-4f91-bda5-36a3a434d6f9"])
        pool = try #require(imported["pool"] as? [String: Any])
        #expect(pool["capacity"] as? [String: String] == ["limits.cpu": "8", "limits.memory": "32Gi"])
        // 1456469952 + 4531245057 bytes, 1 + 2 cores.
        #expect(pool["reserved"] as? [String: String] == ["limits.cpu": "3", "limits.memory": "5987715009"])

        // Importing the same annotations again changes nothing.
        outcome = try QuotactlProcess.run(importArguments + ["--with-migrations", "--vmis", "\(Self.fixtures)/vmi-list-team-a.json",
                                                             "-o", "json", "--server", server.url])
        let again = try #require(outcome.object["importAnnotations"] as? [String: Any])
        #expect((again["imported"] as? [Any])?.isEmpty == true)
        #expect((again["existing"] as? [Any])?.count == 2)

        // The project's totals through a selector, and the cluster with its children.
        let totals = try server.quotactlOK("inspect", "-l", "project=p-4hwzn", "-o", "json").object
        #expect((totals["pools"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["c1/team-a"])
        let sums = try #require(totals["totals"] as? [String: Any])
        #expect(sums["activeLeases"] as? Int == 2)
        #expect(sums["effective"] as? [String: String] == ["limits.cpu": "6", "limits.memory": "11230595009"])
        let table = try server.quotactlOK("inspect", "-l", "cluster in (c1,c2)")
        #expect(table.stdout.contains("TOTAL (1 pool)"), "\(table)")
        let cluster = try server.quotactlOK("inspect", "c1", "-o", "json").object
        #expect((cluster["children"] as? [[String: Any]])?.first?["name"] as? String == "c1/team-a")
        #expect(try server.quotactlOK("inspect", "c1").stdout.contains("c1/team-a"))
    }

    @Test func legacyNameWithoutVMIListGetsALegacyLeaseReleasableByName() throws {
        let server = try QuotadProcess()
        _ = try server.quotactlOK("pool", "import", "-f", "\(Self.fixtures)/resourcequota-team-a.yaml", "--cluster", "c1",
                                  "--capacity", "limits.cpu=8,limits.memory=32Gi", "--with-migrations")
        let lease = try #require(try server.quotactlOK("inspect", "c1/team-a", "--vm-name", "legacy-vm-started-before-upgrade", "-o", "json")
            .object["lease"] as? [String: Any])
        #expect((lease["labels"] as? [String: String])?["legacy"] == "true")
        let scratch = try ManifestScratch()
        defer { scratch.remove() }
        let byName = try scratch.vmi(name: "legacy-vm-started-before-upgrade", namespace: "team-a", uid: nil, cpu: "1", memory: "1Gi")
        let released = try server.quotactlOK("release", "-f", byName, "--cluster", "c1", "-o", "json").object
        #expect(released["released"] as? Bool == true)
        #expect((released["lease"] as? [String: Any])?["id"] as? String == lease["id"] as? String)
    }

    @Test func reserveLabelsHolderTTLAndRenew() throws {
        let server = try QuotadProcess()
        _ = try server.quotactlOK("pool", "set", "c1/finance", "--capacity", "limits.cpu=4,limits.memory=8Gi")
        let reserved = try server.quotactlOK("reserve", "-f", "\(Self.fixtures)/vmi-long-name-60.yaml", "--cluster", "c1",
                                             "--ttl", "1h30m", "--holder", "harvester-controller", "--migration", "mig-7x2", "-o", "yaml")
        #expect(reserved.stdout.contains("ttlSeconds: 5400"), "\(reserved)")
        #expect(reserved.stdout.contains("holder: harvester-controller"))
        #expect(reserved.stdout.contains("migration: mig-7x2"))
        #expect(reserved.stdout.contains("limits.cpu: '1'")) // quantity strings stay strings in YAML
        let renewed = try server.quotactlOK("renew", "4ba71ab7-ac05-44a5-acc6-be1805fdf179", "--ttl", "2m", "-o", "json").object
        #expect((renewed["lease"] as? [String: Any])?["ttlSeconds"] as? Int == 120)
        let table = try server.quotactlOK("leases", "c1/finance")
        #expect(table.stdout.hasPrefix("LEASE "))
        #expect(table.stdout.contains("prod-erp-database-primary-replica-for-finance-team-eu-west-2"))
        _ = try server.quotactlOK("release", "4ba71ab7-ac05-44a5-acc6-be1805fdf179")
        // Releasing again is safe (exit 0) and says nothing was released.
        let again = try server.quotactlOK("release", "4ba71ab7-ac05-44a5-acc6-be1805fdf179")
        #expect(again.stderr.contains("nothing released"))
        _ = try server.quotactlOK("pool", "delete", "c1/finance")
        let gone = try server.quotactl("inspect", "c1/finance")
        #expect(gone.status != 0)
        #expect(gone.stderr.contains("error 1001"), "\(gone)")
        #expect(gone.stderr.contains("PoolNotFound"))
    }

    @Test func requestsStandInForMissingLimitsAndDryRunReservesNothing() throws {
        let server = try QuotadProcess()
        let scratch = try ManifestScratch()
        defer { scratch.remove() }
        _ = try server.quotactlOK("pool", "set", "c1/default", "--capacity", "limits.cpu=4,limits.memory=8Gi")
        let file = try scratch.write("requests-only.yaml", """
            apiVersion: kubevirt.io/v1
            kind: VirtualMachineInstance
            metadata:
              name: vm-requests-only
              namespace: default
              uid: 7e57e57e-0000-4000-8000-000000000001
            spec:
              domain:
                resources:
                  requests:
                    cpu: 500m
                    memory: 1Gi
            """)
        let dryRun = try server.quotactlOK("reserve", "-f", file, "--cluster", "c1", "--dry-run", "-o", "json")
        #expect(dryRun.object["dryRun"] as? Bool == true)
        #expect(dryRun.stderr.contains("no limits.cpu; using its requests.cpu (500m)"), "\(dryRun)")
        #expect(try QuotactlScenarioTests.pool(server, "c1/default")["activeLeases"] as? Int == 0)
        let reserved = try server.quotactlOK("reserve", "-f", file, "--cluster", "c1", "-o", "json")
        #expect((reserved.object["lease"] as? [String: Any])?["resources"] as? [String: String]
            == ["limits.cpu": "500m", "limits.memory": "1Gi"])
    }

    // MARK: Error exits

    @Test(arguments: ["vmi-migratable", "vmi-windows"])
    func manifestWithoutUIDIsRefusedBeforeAnyCall(_ name: String) throws {
        let url = try Self.closedServerURL()
        let outcome = try QuotactlProcess.run(["reserve", "-f", "\(Self.fixtures)/kubevirt-examples/\(name).yaml", "--cluster", "c1", "--server", url])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("VirtualMachineInstance \(name) has no metadata.uid"), "\(outcome)")
        #expect(outcome.stderr.contains("kubectl get vmi \(name) -o yaml"))
        #expect(!outcome.stderr.contains("cannot reach")) // refused before contacting quotad
        #expect(outcome.stdout.isEmpty)
    }

    @Test func serverDownNamesTheURL() throws {
        let url = try Self.closedServerURL()
        let outcome = try QuotactlProcess.run(["inspect", "--server", url])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("cannot reach \(url)/rpc"), "\(outcome)")
        // QUOTA_SERVER is used when --server is not given.
        let fromEnvironment = try QuotactlProcess.run(["leases", "c1"], environment: ["QUOTA_SERVER": url])
        #expect(fromEnvironment.status != 0)
        #expect(fromEnvironment.stderr.contains("cannot reach \(url)/rpc"), "\(fromEnvironment)")
    }

    @Test(arguments: [
        (["reserve", "-f", "x.yaml", "--cluster", "c1", "--ttl", "15x"], "--ttl: invalid duration \"15x\""),
        (["reserve", "-f", "x.yaml", "--cluster", "c1", "--ttl", "1500ms"], "must be a whole number of seconds"),
        (["reserve", "-f", "x.yaml", "--cluster", "c1", "--memory-overhead=-1Gi"], "--memory-overhead: \"-1Gi\": must not be negative"),
        (["pool", "set", "c1", "--capacity", "limits.cpu=abc"], "--capacity limits.cpu: \"abc\""),
        (["pool", "set", "c1", "--capacity", "limits.cpu"], "is not NAME=QUANTITY"),
        (["inspect", "-o", "xml"], "'xml' is invalid for '-o <output>'"),
        (["release", "x", "-f", "y.yaml"], "give either a LEASE or -f FILE"),
        (["inspect", "c1", "-l", "project=p-1"], "-l selects among all pools"),
    ])
    func badFlagValuesExitNonZeroNamingTheFlag(_ arguments: [String], _ expected: String) throws {
        let outcome = try QuotactlProcess.run(arguments + ["--server", "http://127.0.0.1:1"])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains(expected), "\(outcome)")
        #expect(!outcome.stderr.contains("cannot reach"))
    }

    @Test func missingFileAndWrongKindAreNamed() throws {
        var outcome = try QuotactlProcess.run(["reserve", "-f", "no-such.yaml", "--cluster", "c1", "--server", "http://127.0.0.1:1"])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("cannot read no-such.yaml"), "\(outcome)")
        outcome = try QuotactlProcess.run(["reserve", "-f", "\(Self.fixtures)/resourcequota-team-a.yaml", "--cluster", "c1",
                                           "--server", "http://127.0.0.1:1"])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("kind is \"ResourceQuota\", expected VirtualMachineInstance"), "\(outcome)")
    }
}
