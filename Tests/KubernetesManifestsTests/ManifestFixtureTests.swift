import Foundation
import KubernetesManifests
import QuotaCore
import Testing
import TestSupport

/// Every file in ../shared/fixtures/kubernetes, read and planned as quotactl does (issue 5).
@Suite struct ManifestFixtureTests {
    static func q(_ text: String) throws -> Quantity { try Quantity(parsing: text) }
    static func list(_ entries: [String: String]) throws -> ResourceList {
        var result = ResourceList()
        for (name, text) in entries { result[try ResourceName(name)] = try q(text) }
        return result
    }

    @Test func longNameVMIReadsIdentityAndBothResourceLists() throws {
        let vmis = try VirtualMachineInstance.all(in: SharedFixtures.kubernetes("vmi-long-name-60.yaml"), source: "vmi-long-name-60.yaml")
        #expect(vmis.count == 1)
        let vmi = try #require(vmis.first)
        #expect(vmi.name == "prod-erp-database-primary-replica-for-finance-team-eu-west-2")
        #expect(vmi.name.count == 60)
        #expect(vmi.namespace == "finance")
        #expect(vmi.uid == "4ba71ab7-ac05-44a5-acc6-be1805fdf179") // not the firmware uuid c4e08e67-…
        #expect(vmi.limits == ["cpu": try Self.q("1"), "memory": try Self.q("2Gi")])
        #expect(vmi.requests == ["cpu": try Self.q("125m"), "memory": try Self.q("1365Mi")])
    }

    @Test func longNameReservationUsesLimitsNotRequests() throws {
        let vmi = try #require(try VirtualMachineInstance.all(in: SharedFixtures.kubernetes("vmi-long-name-60.yaml"), source: "f").first)
        let plan = try vmi.reservation(cluster: "c1", base: .empty)
        #expect(plan.lease == "4ba71ab7-ac05-44a5-acc6-be1805fdf179")
        #expect(plan.pool == "c1/finance")
        #expect(plan.vmName == vmi.name)
        #expect(plan.resources == (try Self.list(["limits.cpu": "1", "limits.memory": "2Gi"])))
        #expect(plan.notices.isEmpty)
    }

    @Test func evacuationListWithOverheadIsExactToTheByte() throws {
        let vmis = try VirtualMachineInstance.all(in: SharedFixtures.kubernetes("vmi-list-evacuation.json"), source: "vmi-list-evacuation.json")
        #expect(vmis.map(\.name) == ["evac-vm-01", "evac-vm-02", "evac-vm-03", "evac-vm-04"])
        #expect(Set(vmis.compactMap(\.uid)).count == 4)
        let base = try Self.list(["limits.cpu": "3", "limits.memory": "5000Mi"])
        for vmi in vmis {
            let plan = try vmi.reservation(cluster: "c1", base: base, memoryOverhead: try Self.q("225093633"))
            #expect(plan.pool == "c1/team-a")
            #expect(plan.resources == (try Self.list(["limits.cpu": "1", "limits.memory": "2372577281"])))
            #expect(plan.resources[try ResourceName("limits.memory")]?.description == "2372577281")
        }
    }

    @Test func teamAListMapsNamesToUIDs() throws {
        let vmis = try VirtualMachineInstance.all(in: SharedFixtures.kubernetes("vmi-list-team-a.json"), source: "vmi-list-team-a.json")
        #expect(vmis.map(\.name) == ["legacy-vm-started-before-upgrade", "web-frontend-7"])
        #expect(vmis.map(\.uid) == ["3ddab6b5-edb6-4e2f-8d8e-b596c8965f78", "9d461576-6cd4-4f91-bda5-36a3a434d6f9"])
        #expect(vmis[1].limits == ["cpu": try Self.q("2"), "memory": try Self.q("4Gi")])
        #expect(vmis[0].requests.isEmpty)
    }

    @Test(arguments: ["kubevirt-examples/vmi-migratable.yaml", "kubevirt-examples/vmi-windows.yaml"])
    func kubevirtExamplesAreRefusedForMissingUID(_ file: String) throws {
        let vmis = try VirtualMachineInstance.all(in: SharedFixtures.kubernetes(file), source: file)
        let vmi = try #require(vmis.first)
        #expect(vmi.uid == nil)
        #expect(vmi.namespace == nil)
        do {
            _ = try vmi.reservation(cluster: "c1", base: .empty)
            Issue.record("a VMI without metadata.uid was planned")
        } catch {
            #expect(error == .missingUID(vmName: vmi.name))
            #expect(error.description.contains("no metadata.uid"))
            #expect(error.description.contains("kubectl get vmi \(vmi.name) -o yaml"))
            #expect(!error.description.contains("5d307ca9")) // the Windows example's firmware uuid
        }
    }

    @Test func windowsExampleFirmwareUUIDIsNeverTheUID() throws {
        let vmi = try #require(try VirtualMachineInstance.all(in: SharedFixtures.kubernetes("kubevirt-examples/vmi-windows.yaml"), source: "f").first)
        #expect(vmi.name == "vmi-windows")
        #expect(vmi.uid == nil)
        #expect(vmi.limits.isEmpty)
        #expect(vmi.requests == ["memory": try Self.q("2Gi")])
    }

    @Test func requestsStandInForMissingLimitsWithANotice() throws {
        var vmi = try #require(try VirtualMachineInstance.all(in: SharedFixtures.kubernetes("kubevirt-examples/vmi-migratable.yaml"), source: "f").first)
        vmi.uid = "0c7f6bd5-36a3-4b80-9a51-2d7a4d1f1e11"
        vmi.namespace = "default"
        let plan = try vmi.reservation(cluster: "c1", base: .empty, memoryOverhead: try Self.q("100Mi"))
        #expect(plan.resources == (try Self.list(["limits.memory": "228Mi"])))
        #expect(plan.notices.count == 1)
        #expect(plan.notices[0].contains("no limits.memory; using its requests.memory (128Mi)"))
    }

    @Test func resourceQuotaGivesBaseAndBothLegacyAnnotations() throws {
        let quota = try ResourceQuota.one(in: SharedFixtures.kubernetes("resourcequota-team-a.yaml"), source: "resourcequota-team-a.yaml")
        #expect(quota.name == "default-8kq2t")
        #expect(quota.namespace == "team-a")
        #expect(quota.hard == (try Self.list(["limits.cpu": "3", "limits.memory": "5000Mi"])))
        let annotations = Dictionary(quota.annotations, uniquingKeysWith: { $1 })
        #expect(annotations.count == 2)
        #expect(annotations["harvesterhci.io/migrating-legacy-vm-started-before-upgrade"] == #"{"limits.cpu":"1","limits.memory":"1456469952"}"#)
        #expect(annotations["harvesterhci.io/migratingUID-9d461576-6cd4-4f91-bda5-36a3a434d6f9"] == #"{"limits.cpu":"2","limits.memory":"4531245057"}"#)
    }

    @Test func namespaceGivesRancherLimitInKubernetesNamesAndProject() throws {
        let namespace = try Namespace.one(in: SharedFixtures.kubernetes("namespace-team-a.yaml"), source: "namespace-team-a.yaml")
        #expect(namespace.name == "team-a")
        #expect(namespace.rancherProject == "p-4hwzn")
        let limit = try #require(try namespace.rancherLimit())
        #expect(limit == (try Self.list(["limits.cpu": "3", "limits.memory": "5000Mi"])))
        #expect(limit[try ResourceName("limits.cpu")]?.description == "3") // 3000m is 3 exactly
    }

    @Test func everyFixtureFileIsCovered() throws {
        let covered: Set<String> = [
            "vmi-long-name-60.yaml", "vmi-list-evacuation.json", "vmi-list-team-a.json", "resourcequota-team-a.yaml",
            "namespace-team-a.yaml", "kubevirt-examples/vmi-migratable.yaml", "kubevirt-examples/vmi-windows.yaml", "README.md",
        ]
        let root = SharedFixtures.kubernetesDirectory
        let enumerator = try #require(FileManager.default.enumerator(atPath: root.path))
        var files: Set<String> = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.insert(path)
            }
        }
        #expect(files == covered)
    }
}
