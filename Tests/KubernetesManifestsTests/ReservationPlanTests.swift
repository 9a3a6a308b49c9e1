import KubernetesManifests
import QuotaCore
import Testing

/// The planning rules of `quotactl reserve` on small inline manifests (issue 5).
@Suite struct ReservationPlanTests {
    static func vmi(_ resources: String, metadata: String = "  uid: 11111111-2222-4333-8444-555555555555\n  namespace: ns\n") throws -> VirtualMachineInstance {
        let text = """
        apiVersion: kubevirt.io/v1
        kind: VirtualMachineInstance
        metadata:
          name: vm1
        \(metadata)spec:
          domain:
            resources:
        \(resources)
        """
        return try #require(try VirtualMachineInstance.all(in: text, source: "inline").first)
    }

    @Test func memoryOnlyBaseReservesMemoryOnly() throws {
        let vmi = try Self.vmi("      limits:\n        cpu: 2\n        memory: 4Gi")
        let base = try ManifestFixtureTests.list(["limits.memory": "2049Mi"])
        let plan = try vmi.reservation(cluster: "c1", base: base)
        #expect(plan.resources == (try ManifestFixtureTests.list(["limits.memory": "4Gi"])))
        #expect(plan.notices == ["pool c1/ns has no limits.cpu in its base; limits.cpu is not reserved"])
    }

    @Test func largeVMPlusOverheadIsExact() throws {
        let vmi = try Self.vmi("      limits:\n        cpu: 4\n        memory: 24Gi")
        let base = try ManifestFixtureTests.list(["limits.cpu": "30", "limits.memory": "24576Mi"])
        let plan = try vmi.reservation(cluster: "c1", base: base, memoryOverhead: try Quantity(parsing: "331350017"))
        #expect(plan.resources[try ResourceName("limits.memory")]?.description == "26101153793")
        #expect(plan.resources[try ResourceName("limits.cpu")]?.description == "4")
    }

    @Test func unquotedIntegerCPUIsReadAsItsText() throws {
        let vmi = try Self.vmi("      limits:\n        cpu: 2\n        memory: 1e3")
        #expect(vmi.limits["cpu"]?.description == "2")
        #expect(vmi.limits["memory"]?.description == "1e3")
    }

    @Test func baseThatLimitsNothingOfTheVMIIsRefused() throws {
        let vmi = try Self.vmi("      limits:\n        cpu: 2")
        let base = try ManifestFixtureTests.list(["requests.storage": "10Gi"])
        #expect(throws: ManifestError.nothingToReserve(vmName: "vm1", pool: "c1/ns", resources: ["limits.cpu"], base: ["requests.storage"])) {
            try vmi.reservation(cluster: "c1", base: base)
        }
    }

    @Test func missingNamespaceIsNamed() throws {
        let vmi = try Self.vmi("      limits:\n        cpu: 2", metadata: "  uid: 11111111-2222-4333-8444-555555555555\n")
        #expect(throws: ManifestError.missingField(object: "VirtualMachineInstance vm1", field: "metadata.namespace")) {
            try vmi.reservation(cluster: "c1", base: .empty)
        }
    }

    @Test func badQuantityNamesFieldAndValue() {
        do {
            _ = try Self.vmi("      limits:\n        cpu: two")
            Issue.record("a bad quantity was read")
        } catch {
            #expect("\(error)".contains("spec.domain.resources.limits.cpu \"two\""))
        }
    }

    @Test func otherKindsAndBadTextAreRefused() {
        #expect(throws: ManifestError.self) { try VirtualMachineInstance.all(in: "kind: Pod\nmetadata:\n  name: p\n", source: "p.yaml") }
        #expect(throws: ManifestError.self) { try VirtualMachineInstance.all(in: "{ not: [yaml", source: "bad.yaml") }
        // A syntax error in a later document is not taken for the end of the file.
        let good = "kind: VirtualMachineInstance\nmetadata:\n  name: a\n"
        do {
            _ = try VirtualMachineInstance.all(in: good + "---\n" + good + "  : [\n", source: "two.yaml")
            Issue.record("a broken second document was ignored")
        } catch {
            guard case .unreadable(let source, _) = error else { Issue.record("expected unreadable, got \(error)"); return }
            #expect(source == "two.yaml")
        }
        #expect(throws: ManifestError.empty(source: "e.yaml", expected: "VirtualMachineInstance")) {
            try VirtualMachineInstance.all(in: "", source: "e.yaml")
        }
    }

    @Test func rancherNamesMapAndUnknownNamesAreNamed() throws {
        let namespace = Namespace(name: "n", annotations: [
            Namespace.rancherQuotaAnnotation: #"{"limit":{"requestsCpu":"500m","requestsMemory":"1Gi","pods":"10","limitsMemory":"2Gi"}}"#,
        ])
        #expect(try namespace.rancherLimit() == ManifestFixtureTests.list([
            "requests.cpu": "500m", "requests.memory": "1Gi", "pods": "10", "limits.memory": "2Gi",
        ]))
        let unknown = Namespace(name: "n", annotations: [Namespace.rancherQuotaAnnotation: #"{"limit":{"gpus":"1"}}"#])
        do {
            _ = try unknown.rancherLimit()
            Issue.record("an unknown Rancher name was accepted")
        } catch {
            #expect(error.description.contains("\"gpus\": unknown Rancher resource name"))
        }
        #expect(try Namespace(name: "n").rancherLimit() == nil)
    }
}
