import JSON
import Testing

@Suite struct ObjectTests {
    @Test func literalKeepsOrderAndDuplicates() {
        let object: JSONObject = ["z": 1, "a": 2, "z": 3]
        #expect(object.keys == ["z", "a", "z"])
        #expect(object.duplicateKey == "z")
        #expect(object["z"] == 1)
        #expect(object["missing"] == nil)
        #expect(object.count == 3)
    }

    @Test func appendRecordsTheFirstDuplicate() {
        var object = JSONObject()
        #expect(object.isEmpty)
        object.append("a", 1)
        object.append("b", 2)
        #expect(object.duplicateKey == nil)
        object.append("b", 3)
        object.append("a", 4)
        #expect(object.duplicateKey == "b")
        #expect(object.members.map(\.value) == [1, 2, 3, 4])
    }

    @Test func subscriptSetterReplacesAppendsAndRemoves() {
        var object: JSONObject = ["a": 1, "b": 2, "a": 3]
        object["a"] = 10
        #expect(object.members.map(\.value) == [10, 2, 3])
        object["c"] = 4
        #expect(object.keys == ["a", "b", "a", "c"])
        object["a"] = nil
        #expect(object.keys == ["b", "c"])
        #expect(object.duplicateKey == nil)
    }

    @Test func settingMembersRecomputesDuplicateKey() {
        var object: JSONObject = ["a": 1]
        object.members.append((key: "a", value: 2))
        #expect(object.duplicateKey == "a")
        object.members = [(key: "x", value: nil)]
        #expect(object.duplicateKey == nil)
    }

    @Test func largeObjectsUseTheIndexConsistently() {
        var object = JSONObject()
        for i in 0..<100_000 { object.append("k\(i)", JSONValue(i)) }
        #expect(object.duplicateKey == nil)
        #expect(object["k0"] == 0)
        #expect(object["k77777"] == 77777)
        #expect(object.firstIndex(of: "k123") == 123)
        object.append("k42", 0)
        #expect(object.duplicateKey == "k42")
        #expect(object["k42"] == 42)
        object["k42"] = nil
        #expect(object.duplicateKey == nil)
        #expect(object.count == 99_999)
        #expect(object["k43"] == 43)
        let rebuilt = JSONObject(object.members)
        #expect(rebuilt == object)
    }

    @Test func equalityIsOrderSensitive() {
        let ab: JSONObject = ["a": 1, "b": 2]
        let ba: JSONObject = ["b": 2, "a": 1]
        #expect(ab != ba)
        #expect(ab == ["a": 1, "b": 2])
        #expect(JSONValue.string("caf\u{E9}") != JSONValue.string("cafe\u{301}"))
    }
}
