import Testing
import QuotaCore

/// PoolPath, LeaseID and ResourceName: the syntax rules every request field goes through.
@Suite struct NamesTests {
    /// A DNS-1123 subdomain of exactly 253 bytes: three 63-byte labels and one of 61.
    static let prefix253 = [String](repeating: String(repeating: "a", count: 63), count: 3).joined(separator: ".") + "." + String(repeating: "b", count: 61)
    // MARK: PoolPath

    @Test(arguments: ["c1", "c1/ns1", "harvester-a/default", "a/b/c/d", "0", "a-0/1-b", String(repeating: "a", count: 63)])
    func poolPathAcceptsOneToFourLabels(_ text: String) throws {
        let path = try PoolPath(text)
        #expect(path.rawValue == text)
        #expect(path.description == text)
    }

    @Test(arguments: [
        "", "A", "C1/ns1", "a//b", "a/b/c/d/e", "-a", "a-", "a/", "/a", "a_b", "a.b", "a b", "é",
        String(repeating: "a", count: 64), "c1/" + String(repeating: "b", count: 64),
    ])
    func poolPathRejects(_ text: String) {
        #expect(throws: InvalidValue.self) { try PoolPath(text) }
    }

    @Test func poolPathParentAndAncestors() throws {
        #expect(try PoolPath("c1/ns1").parent == PoolPath("c1"))
        #expect(try PoolPath("c1").parent == nil)
        #expect(try PoolPath("a/b/c/d").parent == PoolPath("a/b/c"))
        #expect(try PoolPath("a/b/c").ancestors == [PoolPath("a/b"), PoolPath("a")])
        #expect(try PoolPath("a").ancestors.isEmpty)
    }

    @Test func poolPathIsWithinMatchesWholeLabelsOnly() throws {
        let c1 = try PoolPath("c1")
        #expect(try PoolPath("c1/ns1").isWithin(c1))
        #expect(try PoolPath("c1/ns1/t").isWithin(c1))
        #expect(c1.isWithin(c1))
        #expect(try !PoolPath("c10").isWithin(c1))
        #expect(try !PoolPath("c10/ns1").isWithin(c1))
        #expect(try !c1.isWithin(PoolPath("c1/ns1")))
    }

    // MARK: LeaseID

    @Test func leaseIDAcceptsAnyCaseAndStoresLowerCase() throws {
        let upper = try LeaseID("6F1C2A3B-4D5E-4F60-8A7B-9C0D1E2F3A4B")
        let lower = try LeaseID("6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b")
        let mixed = try LeaseID("6f1C2a3B-4d5E-4F60-8a7b-9C0d1E2f3A4b")
        #expect(upper.rawValue == "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b")
        #expect(upper == lower)
        #expect(mixed == lower)
        #expect(upper.hashValue == lower.hashValue)
        #expect(upper.description == lower.rawValue)
    }

    @Test(arguments: [
        "",
        "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4",      // 35 characters
        "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b0",    // 37 characters
        "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b-",    // 37 characters, trailing dash
        "6f1c2a3g-4d5e-4f60-8a7b-9c0d1e2f3a4b",     // non-hex g
        "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4G",     // non-hex G
        "6f1c2a3b4-d5e-4f60-8a7b-9c0d1e2f3a4b",     // dash one place late
        "6f1c2a3-b4d5e-4f60-8a7b-9c0d1e2f3a4b",     // dash one place early
        "6f1c2a3b-4d5e-4f608-a7b-9c0d1e2f3a4b",     // third dash misplaced
        "6f1c2a3b-4d5e-4f60-8a7b9-c0d1e2f3a4b",     // fourth dash misplaced
        "6f1c2a3b04d5e04f6008a7b09c0d1e2f3a4b",     // 36 hex digits, no dashes
        "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a-b",     // extra dash in the last group
        "{6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4}",
        "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3aé",      // 36 bytes, 35 characters
        " 6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4",
    ])
    func leaseIDRejects(_ text: String) {
        #expect(throws: InvalidValue.self) { try LeaseID(text) }
    }

    @Test func leaseIDOrdersByText() throws {
        let a = try LeaseID("00000000-0000-4000-8000-00000000000a")
        let b = try LeaseID("00000000-0000-4000-8000-00000000000B")
        #expect(a < b)
        #expect(!(b < a))
    }

    // MARK: ResourceName

    @Test(arguments: [
        "cpu", "memory", "pods", "limits.memory", "requests.cpu", "example.com/gpu", "nvidia.com/gpu", "count/pods",
        "count/deployments.apps", "hugepages-2Mi", "requests.ephemeral-storage", "A", "a_b",
        String(repeating: "x", count: 63), String(repeating: "p", count: 63) + "/" + String(repeating: "n", count: 63),
        NamesTests.prefix253 + "/gpu",
    ])
    func resourceNameAccepts(_ text: String) throws {
        let name = try ResourceName(text)
        #expect(name.rawValue == text)
        #expect(name.description == text)
    }

    @Test(arguments: [
        "", "/x", "x/", "a/b/c", "-cpu", "cpu-", ".cpu", "cpu.", "c pu", "cpu!", "é",
        String(repeating: "x", count: 64), "example.com/" + String(repeating: "x", count: 64),
        "Example.com/gpu", "example..com/gpu", "-example.com/gpu", "example.com/-gpu",
        NamesTests.prefix253 + "a/gpu",
    ])
    func resourceNameRejects(_ text: String) {
        #expect(throws: InvalidValue.self) { try ResourceName(text) }
    }

    @Test func resourceNameRejectionSaysWhy() {
        do {
            _ = try ResourceName("a/b/c")
            Issue.record("a/b/c was accepted")
        } catch {
            #expect(error.reason.contains("a/b/c"))
        }
    }

    @Test(arguments: [
        ("pods", true), ("services", true), ("count/pods", true), ("count/deployments.apps", true),
        ("persistentvolumeclaims", true), ("services.loadbalancers", true), ("secrets", true), ("configmaps", true),
        ("cpu", false), ("memory", false), ("limits.memory", false), ("requests.storage", false),
        ("example.com/pods", false), ("podsx", false), ("nvidia.com/gpu", false),
    ])
    func resourceNameIsCounted(_ text: String, _ counted: Bool) throws {
        #expect(try ResourceName(text).isCounted == counted)
    }

    @Test func leasesPseudoResource() {
        #expect(ResourceName.leases.rawValue == "leases")
        #expect(!ResourceName.leases.isCounted)
    }
}
