import Foundation
import Testing

/// The main job end to end, against the real quotad binary over HTTP (issue #2).
@Suite(.serialized)
struct MigrationFlowTests {
    static let vmName = "vm-" + String(repeating: "a", count: 50) + "-migrate" // 61 characters
    static let vmiUID = "6F1C2A3B-8D4E-4F5A-9B6C-7D8E9F0A1B2C" // upper case on purpose

    /// Creates cluster pool c1 and namespace pool c1/team-a with a base, as a controller's operator would.
    static func makePools(_ client: RPCClient, clusterCPU: String = "8", namespaceCPU: String = "4") throws {
        _ = try client.result("setPool", ["pool": "c1", "capacity": ["limits.cpu": clusterCPU, "limits.memory": "64Gi"]])
        _ = try client.result("setPool", [
            "pool": "c1/team-a",
            "capacity": ["limits.cpu": namespaceCPU, "limits.memory": "16Gi"],
            "base": ["limits.cpu": "3", "limits.memory": "5000Mi"],
        ])
    }

    @Test func longNameLeaseKeyedByUIDRaisesAndRestoresEffective() throws {
        #expect(Self.vmName.count >= 54)
        let server = try QuotadProcess()
        let client = server.client
        try Self.makePools(client)

        let reserved = try client.result("reserve", [
            "pool": "c1/team-a", "lease": Self.vmiUID,
            "resources": ["limits.cpu": "1", "limits.memory": "2Gi"],
            "holder": "harvester-controller", "labels": ["vmName": Self.vmName],
        ])
        #expect(reserved["created"] as? Bool == true)
        let lease = try #require(reserved["lease"] as? [String: Any])
        #expect(lease["id"] as? String == Self.vmiUID.lowercased())
        #expect((lease["labels"] as? [String: String])?["vmName"] == Self.vmName)
        let pool = try #require(reserved["pool"] as? [String: Any])
        #expect(pool["effective"] as? [String: String] == ["limits.cpu": "4", "limits.memory": "7048Mi"])
        #expect(pool["reserved"] as? [String: String] == ["limits.cpu": "1", "limits.memory": "2Gi"])

        let inspected = try client.result("inspect", ["pool": "c1", "includeLeases": true])
        let cluster = try #require(inspected["pool"] as? [String: Any])
        #expect(cluster["activeLeases"] as? Int == 1)
        #expect(cluster["children"] as? [String] == ["c1/team-a"])
        #expect((inspected["leases"] as? [[String: Any]])?.count == 1)

        let released = try client.result("release", ["lease": Self.vmiUID])
        #expect(released["released"] as? Bool == true)
        #expect(released["state"] as? String == "released")
        let after = try #require(released["pool"] as? [String: Any])
        #expect(after["effective"] as? [String: String] == ["limits.cpu": "3", "limits.memory": "5000Mi"])
        #expect(after["activeLeases"] as? Int == 0)
    }

    @Test func retriesOfReserveAndReleaseAreSafe() throws {
        let server = try QuotadProcess()
        let client = server.client
        try Self.makePools(client)
        let params: [String: Any] = [
            "pool": "c1/team-a", "lease": Self.vmiUID, "resources": ["limits.cpu": "1", "limits.memory": "1Gi"],
        ]
        let first = try client.result("reserve", params)
        // The same lease again, with memory written another way: the same lease, not a second charge.
        var retryParams = params
        retryParams["resources"] = ["limits.cpu": 1, "limits.memory": "1024Mi"]
        let retry = try client.result("reserve", retryParams)
        #expect(first["created"] as? Bool == true)
        #expect(retry["created"] as? Bool == false)
        #expect((retry["lease"] as? [String: Any])?["expiresAt"] as? String == (first["lease"] as? [String: Any])?["expiresAt"] as? String)
        #expect((retry["pool"] as? [String: Any])?["activeLeases"] as? Int == 1)
        #expect(retry["revision"] as? Int == first["revision"] as? Int)

        // Same id, other resources: a conflict carrying the existing lease.
        var conflicting = params
        conflicting["resources"] = ["limits.cpu": "2"]
        let conflict = try client.error("reserve", conflicting)
        #expect(conflict["code"] as? Int == 1003)
        #expect(((conflict["data"] as? [String: Any])?["lease"] as? [String: Any])?["id"] as? String == Self.vmiUID.lowercased())

        let released = try client.result("release", ["lease": Self.vmiUID])
        let again = try client.result("release", ["lease": Self.vmiUID])
        #expect(released["released"] as? Bool == true)
        #expect(again["released"] as? Bool == false)
        #expect(again["state"] as? String == "released")
        let unknown = try client.result("release", ["lease": "00000000-0000-4000-8000-000000000000"])
        #expect(unknown["released"] as? Bool == false)
        #expect(unknown["state"] as? String == "unknown")
        #expect(unknown["lease"] is NSNull)
    }

    @Test func clusterPoolDeniesWhileNamespaceHasRoom() throws {
        let server = try QuotadProcess()
        let client = server.client
        try Self.makePools(client, clusterCPU: "2", namespaceCPU: "4")
        _ = try client.result("setPool", ["pool": "c1/team-b", "capacity": ["limits.cpu": "4"]])
        _ = try client.result("reserve", ["pool": "c1/team-b", "lease": "11111111-1111-4111-8111-111111111111", "resources": ["limits.cpu": "2"]])

        let denied = try client.error("reserve", [
            "pool": "c1/team-a", "lease": Self.vmiUID, "resources": ["limits.cpu": "1", "limits.memory": "1Gi"],
        ])
        #expect(denied["code"] as? Int == 1002)
        let data = try #require(denied["data"] as? [String: Any])
        #expect(data["pool"] as? String == "c1")
        #expect(data["shortfall"] as? [String: String] == ["limits.cpu": "1"])
        #expect((data["available"] as? [String: String])?["limits.cpu"] == "0")

        // Nothing changed in the namespace pool: all or nothing.
        let namespace = try #require(try client.result("inspect", ["pool": "c1/team-a"])["pool"] as? [String: Any])
        #expect(namespace["activeLeases"] as? Int == 0)
        #expect(namespace["reserved"] as? [String: String] == [:])
        let missing = try client.error("inspect", ["lease": Self.vmiUID])
        #expect(missing["code"] as? Int == 1005)
    }

    @Test(arguments: [SIGTERM, SIGKILL])
    func restartKeepsPoolsLeasesAndRevision(signal: Int32) throws {
        let directory = QuotadProcess.makeDataDirectory()
        let first = try QuotadProcess(dataDirectory: directory)
        try Self.makePools(first.client)
        let granted = try first.client.result("reserve", [
            "pool": "c1/team-a", "lease": Self.vmiUID, "resources": ["limits.cpu": "1", "limits.memory": "2Gi"],
            "ttlSeconds": 600, "labels": ["vmName": Self.vmName],
        ])
        let before = try first.client.result("inspect")
        first.stop(signal: signal)

        let second = try QuotadProcess(dataDirectory: directory)
        let after = try second.client.result("inspect")
        #expect(after["revision"] as? Int == before["revision"] as? Int)
        #expect(NSDictionary(dictionary: after) == NSDictionary(dictionary: before))
        let lease = try #require(try second.client.result("inspect", ["lease": Self.vmiUID])["lease"] as? [String: Any])
        #expect(lease["state"] as? String == "active")
        #expect(lease["expiresAt"] as? String == (granted["lease"] as? [String: Any])?["expiresAt"] as? String)
        // The restored lease still counts: a retry is idempotent, a release frees it.
        #expect(try second.client.result("release", ["lease": Self.vmiUID])["released"] as? Bool == true)
    }

    @Test(.enabled(if: TestStore.current == .sqlite, "replicas on one PostgreSQL database are the point of that store"))
    func anotherQuotadOnTheSameDataDirectoryRefusesToStart() throws {
        let directory = QuotadProcess.makeDataDirectory()
        let first = try QuotadProcess(dataDirectory: directory)
        #expect(throws: HarnessError.self) { _ = try QuotadProcess(dataDirectory: directory) }
        _ = try first.client.result("inspect")
    }

    @Test func expiryIsDrivenByTheServerTimer() throws {
        let server = try QuotadProcess()
        let client = server.client
        try Self.makePools(client)
        _ = try client.result("reserve", ["pool": "c1/team-a", "lease": Self.vmiUID, "resources": ["limits.cpu": "1"], "ttlSeconds": 1])
        // Only pool reads from here on: nothing but the server's timer can free the charge.
        var reserved: [String: String]? = ["limits.cpu": "1"]
        for _ in 0..<100 where reserved != [:] {
            Thread.sleep(forTimeInterval: 0.1)
            reserved = (try client.result("inspect", ["pool": "c1"])["pool"] as? [String: Any])?["reserved"] as? [String: String]
        }
        #expect(reserved == [:])
        let lease = try #require(try client.result("inspect", ["lease": Self.vmiUID])["lease"] as? [String: Any])
        #expect(lease["state"] as? String == "expired")
    }
}
