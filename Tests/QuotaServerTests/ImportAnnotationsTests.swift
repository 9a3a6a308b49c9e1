import Foundation
import QuotaCore
@testable import QuotaServer
import QuotaStore
import Testing

/// `importAnnotations` and the name-keyed forms of `release` and `inspect` through the JSON-RPC
/// layer (issue #5): what reaches a caller, and that bad input names its field.
@Suite struct ImportAnnotationsTests {
    let service = QuotaService(stored: StoredLedger(pools: [], leases: [], revision: 0), clock: ManualClock(), openRPCDocument: .null)

    /// One call; the `result` or the `error` object.
    func call(_ method: String, _ params: [String: Any]) throws -> (result: [String: Any]?, error: [String: Any]?) {
        let request: [String: Any] = ["jsonrpc": "2.0", "id": 1, "method": method, "params": params]
        let body = try JSONSerialization.data(withJSONObject: request)
        let answer = try #require(service.handle(body: Array(body)))
        let response = try #require(try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any])
        return (response["result"] as? [String: Any], response["error"] as? [String: Any])
    }

    func teamA() throws {
        _ = try call("setPool", ["pool": "c1", "capacity": ["limits.cpu": "16"]])
        _ = try call("setPool", [
            "pool": "c1/team-a", "capacity": ["limits.cpu": "3", "limits.memory": "5000Mi"],
            "base": ["limits.cpu": "3", "limits.memory": "5000Mi"],
        ])
    }

    /// The fixture's two annotations, as ../shared/fixtures/kubernetes/resourcequota-team-a.yaml carries them.
    let fixtureAnnotations = [
        "harvesterhci.io/migrating-legacy-vm-started-before-upgrade": #"{"limits.cpu":"1","limits.memory":"1456469952"}"#,
        "harvesterhci.io/migratingUID-9d461576-6cd4-4f91-bda5-36a3a434d6f9": #"{"limits.cpu":"2","limits.memory":"4531245057"}"#,
    ]

    @Test func nameKeyedEntryWithoutVMIsGetsTheUUIDv5OfPoolAndName() throws {
        try teamA()
        let result = try #require(try call("importAnnotations", ["pool": "c1/team-a", "annotations": fixtureAnnotations]).result)
        let imported = try #require(result["imported"] as? [[String: Any]])
        let legacy = try #require(imported.first { ($0["labels"] as? [String: String])?["vmName"] == "legacy-vm-started-before-upgrade" })
        // Python: uuid.uuid5(uuid.UUID("6b1f0c52-9a3e-4d07-8e51-2c7ad4903b16"), "c1/team-a/legacy-vm-started-before-upgrade")
        #expect(legacy["id"] as? String == "606ef76c-aa73-5bf3-8bce-4840384f74da")
        #expect((legacy["labels"] as? [String: String])?["legacy"] == "true")
        #expect(LeaseID.nameBased("c1/team-a/legacy-vm-started-before-upgrade").rawValue == "606ef76c-aa73-5bf3-8bce-4840384f74da")
        // RFC 9562 appendix A.4's own vector: the DNS namespace and "www.example.com".
        #expect(LeaseID.nameBased(namespace: Array(UUIDBytes.dns), "www.example.com").rawValue == "2ed6657d-e927-568b-95e1-2665a8aea6a2")

        let pool = try #require(result["pool"] as? [String: Any])
        #expect(pool["overcommitted"] as? Bool == true)
        #expect(pool["effective"] as? [String: String] == ["limits.cpu": "6", "limits.memory": "11230595009"])
    }

    @Test func releaseByVMNameThenTheNameIsFree() throws {
        try teamA()
        _ = try call("importAnnotations", ["pool": "c1/team-a", "annotations": fixtureAnnotations])
        let name = "legacy-vm-started-before-upgrade"
        let found = try #require(try call("inspect", ["pool": "c1/team-a", "vmName": name]).result)
        #expect((found["lease"] as? [String: Any])?["id"] as? String == "606ef76c-aa73-5bf3-8bce-4840384f74da")

        let released = try #require(try call("release", ["pool": "c1/team-a", "vmName": name]).result)
        #expect(released["released"] as? Bool == true)
        #expect((released["pool"] as? [String: Any])?["effective"] as? [String: String] == ["limits.cpu": "5", "limits.memory": "9774125057"])

        let again = try #require(try call("release", ["pool": "c1/team-a", "vmName": name]).result)
        #expect(again["released"] as? Bool == false)
        #expect(again["state"] as? String == "unknown")
        let missing = try #require(try call("inspect", ["pool": "c1/team-a", "vmName": name]).error)
        #expect(missing["code"] as? Int == 1005)
        #expect(missing["data"] as? [String: String] == ["pool": "c1/team-a", "vmName": name])
    }

    @Test func releaseByNameInAPoolThatDoesNotExistIs1001() throws {
        try teamA()
        let error = try #require(try call("release", ["pool": "c1/team-b", "vmName": "vm-1"]).error)
        #expect(error["code"] as? Int == 1001)
    }

    @Test(arguments: ["", "vm\n2", "\u{7F}"])
    func aVMNameLabelThatNoCallCouldNameIsRefused(name: String) throws {
        try teamA()
        let error = try #require(try call("reserve", [
            "pool": "c1/team-a", "lease": "6f1c2a3b-8d4e-4f5a-9b6c-7d8e9f0a1b2c", "resources": ["limits.cpu": "1"], "labels": ["vmName": name],
        ]).error)
        #expect((error["data"] as? [String: Any])?["field"] as? String == "labels[\"vmName\"]")
    }

    @Test func twoLeasesWithOneNameAreAmbiguous() throws {
        try teamA()
        for id in ["6f1c2a3b-8d4e-4f5a-9b6c-7d8e9f0a1b2c", "7f1c2a3b-8d4e-4f5a-9b6c-7d8e9f0a1b2c"] {
            _ = try call("reserve", ["pool": "c1/team-a", "lease": id, "resources": ["limits.cpu": "1"], "labels": ["vmName": "vm-1"]])
        }
        let error = try #require(try call("release", ["pool": "c1/team-a", "vmName": "vm-1"]).error)
        #expect(error["code"] as? Int == 1009)
        #expect((error["data"] as? [String: Any])?["leases"] as? [String] == ["6f1c2a3b-8d4e-4f5a-9b6c-7d8e9f0a1b2c", "7f1c2a3b-8d4e-4f5a-9b6c-7d8e9f0a1b2c"])
        // Nothing was released.
        let pool = try #require(try call("inspect", ["pool": "c1/team-a"]).result?["pool"] as? [String: Any])
        #expect(pool["activeLeases"] as? Int == 2)
    }

    @Test(arguments: [
        (["harvesterhci.io/migrating-vm-1": "{\"limits.cpu\":\"-1\"}"], "annotations[\"harvesterhci.io/migrating-vm-1\"][\"limits.cpu\"]"),
        (["harvesterhci.io/migrating-vm-1": "not json"], "annotations[\"harvesterhci.io/migrating-vm-1\"]"),
        (["harvesterhci.io/migrating-vm-1": "[1]"], "annotations[\"harvesterhci.io/migrating-vm-1\"]"),
        (["harvesterhci.io/migrating-vm-1": "{\"cpu\":\"1\",\"cpu\":\"2\"}"], "annotations[\"harvesterhci.io/migrating-vm-1\"]"),
        (["harvesterhci.io/migrating-vm-1": "{\"cpu\":\"1x\"}"], "annotations[\"harvesterhci.io/migrating-vm-1\"][\"cpu\"]"),
        (["harvesterhci.io/migratingUID-42": "{}"], "annotations[\"harvesterhci.io/migratingUID-42\"]"),
        (["harvesterhci.io/migrating-Not_A_Name": "{}"], "annotations[\"harvesterhci.io/migrating-Not_A_Name\"]"),
    ] as [([String: String], String)])
    func aBadEntryIsRefusedNamingItAndNothingIsImported(annotations: [String: String], field: String) throws {
        try teamA()
        var all = fixtureAnnotations
        all.merge(annotations) { _, new in new }
        let error = try #require(try call("importAnnotations", ["pool": "c1/team-a", "annotations": all]).error)
        #expect(error["code"] as? Int == -32602)
        #expect((error["data"] as? [String: Any])?["field"] as? String == field)
        let pool = try #require(try call("inspect", ["pool": "c1/team-a"]).result?["pool"] as? [String: Any])
        #expect(pool["activeLeases"] as? Int == 0)
    }

    @Test func aNonStringAnnotationOrVMIIsRefusedNamingIt() throws {
        try teamA()
        let number = try #require(try call("importAnnotations", ["pool": "c1/team-a", "annotations": ["harvesterhci.io/migrating-vm-1": 1]]).error)
        #expect((number["data"] as? [String: Any])?["field"] as? String == "annotations[\"harvesterhci.io/migrating-vm-1\"]")
        let vmi = try #require(try call("importAnnotations", ["pool": "c1/team-a", "annotations": [:], "vmis": ["vm-1": "firmware"]]).error)
        #expect((vmi["data"] as? [String: Any])?["field"] as? String == "vmis[\"vm-1\"]")
    }
}

/// Namespace UUIDs from RFC 9562 section 6.6.
enum UUIDBytes {
    /// 6ba7b810-9dad-11d1-80b4-00c04fd430c8
    static let dns: [UInt8] = [0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8]
}
