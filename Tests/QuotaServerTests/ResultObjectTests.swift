import JSON
import QuotaCore
import Testing

@testable import QuotaServer

/// LeaseObject and PoolViewObject write their text straight to bytes (issue #8); it must be the
/// text of their tree, byte for byte, whatever the values hold.
@Suite struct ResultObjectTests {
    static func list(_ entries: [String: String]) throws -> ResourceList {
        var list = ResourceList()
        for (name, text) in entries { list[try ResourceName(name)] = try Quantity(parsing: text) }
        return list
    }

    static let hostileTexts = [
        "", "plain", "quote \" and \\ backslash", "line\nbreak\ttab\u{1}\u{1F}", "del \u{7F} c1 \u{85}",
        "sep \u{2028}\u{2029}", "é 日本 🚀", "/slash/", String(repeating: "x", count: 300),
    ]

    @Test func leaseTextIsTheTextOfItsTree() throws {
        let resources = try Self.list(["cpu": "1500m", "memory": "5000Mi", "limits.cpu": "100k", "nvidia.com/gpu": "2", "storage": "1e3"])
        var checked = 0
        for (index, holder) in Self.hostileTexts.enumerated() {
            for ended in [nil, Timestamp(nanosecondsSinceEpoch: -1_000)] {
                let lease = Lease(
                    id: try LeaseID("6d188c43-a3b4-4eb6-96d7-dc4ace2e696\(index)"), pool: try PoolPath("cluster-a/ns-\(index)"),
                    resources: index == 0 ? ResourceList() : resources, holder: holder,
                    labels: index == 1 ? [:] : ["vmName": holder, "a": "1", "z\u{1}": "\""],
                    state: ended == nil ? .active : .released,
                    createdAt: Timestamp(nanosecondsSinceEpoch: 1_800_000_000_123_456_789 + Int64(index)),
                    expiresAt: Timestamp(nanosecondsSinceEpoch: 0), ttlSeconds: Int64(index) * 86_400,
                    revision: Int64.max - Int64(index), modRevision: Int64(index), endedAt: ended
                )
                let object = LeaseObject(lease: lease)
                var direct: [UInt8] = []
                object.encode(into: &direct)
                #expect(String(decoding: direct, as: UTF8.self) == String(decoding: JSONWriter.serialize(object.json), as: UTF8.self))
                #expect(try JSONReader.parse(direct) == object.json)
                for key in ["id", "pool", "holder", "labels", "state", "revision", "createdAt", "missing"] {
                    #expect(object.member(key) == object.json.objectValue?[key], "member \(key)")
                }
                checked += 1
            }
        }
        #expect(checked == 2 * Self.hostileTexts.count)
    }

    @Test func poolViewTextIsTheTextOfItsTree() throws {
        var checked = 0
        for (index, label) in Self.hostileTexts.enumerated() {
            for (maxLeases, base) in [(nil, nil), (Int64(7), try Self.list(["limits.cpu": "2", "requests.memory": "1Gi"]))] {
                let pool = Pool(
                    name: try PoolPath("harvester-\(index)"),
                    capacity: try Self.list(["limits.cpu": "100k", "limits.memory": "125000Gi", "pods": "10"]),
                    maxLeases: maxLeases, base: base, labels: ["purpose": label, "\u{2028}": label],
                    revision: Int64(index), reserved: try Self.list(["limits.cpu": "250m", "pods": "11"]), activeLeases: 3
                )
                let children = index.isMultiple(of: 2) ? [] : [try PoolPath("harvester-\(index)/a"), try PoolPath("harvester-\(index)/b")]
                let object = PoolViewObject(view: pool.view(children: children))
                var direct: [UInt8] = []
                object.encode(into: &direct)
                #expect(String(decoding: direct, as: UTF8.self) == String(decoding: JSONWriter.serialize(object.json), as: UTF8.self))
                #expect(try JSONReader.parse(direct) == object.json)
                for key in ["name", "revision", "overcommitted", "missing"] {
                    #expect(object.member(key) == object.json.objectValue?[key], "member \(key)")
                }
                checked += 1
            }
        }
        #expect(checked == 2 * Self.hostileTexts.count)
    }

    @Test func anEncodableValueReadsAsItsTree() throws {
        let pool = Pool(name: try PoolPath("p"), capacity: try Self.list(["cpu": "1"]), maxLeases: nil, base: nil, labels: [:], revision: 4)
        let value = JSONValue.encodable(PoolViewObject(view: pool.view(children: [])))
        let tree = PoolViewObject(view: pool.view(children: [])).json
        #expect(value == tree)
        #expect(tree == value)
        #expect(value.typeName == "object")
        #expect(value["name"] == .string("p"))
        #expect(value.objectValue?.count == tree.objectValue?.count)
        #expect(value.description == tree.description)
    }
}
