import QuotaCore
import Testing

/// Kubernetes label selector syntax over pool labels, issue #5.
@Suite struct LabelSelectorTests {
    let project = ["project": "p-4hwzn", "cluster": "c1"]
    let other = ["project": "p-other", "cluster": "c2", "legacy": "true"]
    let bare: [String: String] = [:]

    func matching(_ selector: String) throws -> [Bool] {
        let parsed = try LabelSelector(selector)
        return [project, other, bare].map(parsed.matches)
    }

    @Test func equalityAndInequality() throws {
        #expect(try matching("project=p-4hwzn") == [true, false, false])
        #expect(try matching("project==p-4hwzn") == [true, false, false])
        // As in Kubernetes, != also selects objects without the label.
        #expect(try matching("project!=p-4hwzn") == [false, true, true])
    }

    @Test func setBasedRequirements() throws {
        #expect(try matching("cluster in (c1,c2)") == [true, true, false])
        #expect(try matching("cluster in ( c2 )") == [false, true, false])
        #expect(try matching("cluster notin (c1)") == [false, true, true])
    }

    @Test func existence() throws {
        #expect(try matching("legacy") == [false, true, false])
        #expect(try matching("!legacy") == [true, false, true])
    }

    @Test func requirementsAreAnded() throws {
        #expect(try matching("cluster in (c1,c2), !legacy") == [true, false, false])
        #expect(try matching(" project , cluster=c2 ") == [false, true, false])
    }

    @Test func emptySelectsEverything() throws {
        #expect(try matching("") == [true, true, true])
        #expect(try matching("   ") == [true, true, true])
        #expect(try LabelSelector("").requirements.isEmpty)
    }

    @Test func selectorsAreBoundedInBytesAndRequirements() throws {
        let sixtyFour = (0..<64).map { "k\($0)=v" }.joined(separator: ",")
        #expect(try LabelSelector(sixtyFour).requirements.count == 64)
        #expect(throws: InvalidValue.self) { try LabelSelector(sixtyFour + ",k64=v") }
        #expect(throws: InvalidValue.self) { try LabelSelector("k=" + String(repeating: "v", count: 4095)) }
    }

    @Test func aHugeSelectorIsNotEchoedInFull() {
        let huge = "k=" + String(repeating: "v", count: 300) + " x"
        do {
            _ = try LabelSelector(huge)
            Issue.record("parsed")
        } catch {
            #expect(error.reason.count < 200, "\(error.reason.count) characters")
        }
    }

    @Test func emptyValueMatchesAnEmptyLabel() throws {
        let selector = try LabelSelector("tier=")
        #expect(selector.matches(["tier": ""]))
        #expect(!selector.matches(["tier": "gold"]))
        #expect(!selector.matches([:]))
    }

    @Test func prefixedKeys() throws {
        let selector = try LabelSelector("field.cattle.io/projectId=p-4hwzn")
        #expect(selector.matches(["field.cattle.io/projectId": "p-4hwzn"]))
    }

    @Test(arguments: [
        ("project=a,", "character 11: expected a label key"),
        ("=a", "expected a label key"),
        ("a in b", "expected \"(\""),
        ("a in (b", "expected \",\" or \")\""),
        ("a > 3", "\"<\" and \">\" are not supported"),
        ("a b", "expected one of =, ==, !=, in, notin"),
        ("a=b c", "expected \",\" between requirements"),
        ("!a=b", "takes no operator"),
        ("Bad Key=1", "expected one of"),
        ("-a=1", "label key \"-a\""),
        ("a!b", "expected \"!=\""),
        ("a in ()", "must not be empty"),
        ("a in ( )", "must not be empty"),
    ])
    func malformedSelectorsNameThePositionAndTheProblem(text: String, fragment: String) {
        do {
            _ = try LabelSelector(text)
            Issue.record("\(text) parsed")
        } catch {
            #expect(error.reason.contains(fragment), "\(text): \(error.reason)")
            #expect(error.reason.contains(String(reflecting: text)))
        }
    }
}
