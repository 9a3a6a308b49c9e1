import Foundation
import JSON
import JSONRPC
import QuotaAuth
@testable import QuotaCore
@testable import QuotaServer
import QuotaStore
import Testing

// Holds api/openrpc.json and the server's method table to each other:
// - the document names exactly the methods the service registers;
// - every documented param is one the service reads (a wrong-typed value is refused naming it),
//   `required` matches, and anything undocumented is refused as unknown;
// - every error a method documents has a code the code base produces, and the error components
//   match QuotaError's codes, messages and data members;
// - the examples, replayed in order against a fresh service, give exactly the documented results.

// MARK: - The document

/// api/openrpc.json, found from this file: Tests/QuotaServerTests/ → ../../api/openrpc.json.
private let documentURL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // Tests/QuotaServerTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()  // repository root
    .appendingPathComponent("api/openrpc.json")

/// The document, parsed with Foundation.
private struct Document {
    let root: [String: Any]

    static func load() throws -> Document {
        let data = try Data(contentsOf: documentURL)
        let object = try JSONSerialization.jsonObject(with: data)
        return Document(root: try #require(object as? [String: Any], "api/openrpc.json is not a JSON object"))
    }

    var methods: [[String: Any]] { root["methods"] as? [[String: Any]] ?? [] }
    var methodNames: [String] { methods.compactMap { $0["name"] as? String } }
    var components: [String: Any] { root["components"] as? [String: Any] ?? [:] }

    func method(_ name: String) throws -> [String: Any] {
        try #require(methods.first { $0["name"] as? String == name }, "api/openrpc.json has no method \(name)")
    }

    /// Follows a `{"$ref": "#/components/<kind>/<name>"}` object; other objects are returned as they are.
    func resolve(_ object: [String: Any]) throws -> [String: Any] {
        guard let ref = object["$ref"] as? String else { return object }
        var current: Any = root
        for part in ref.dropFirst(2).split(separator: "/") {
            current = try #require((current as? [String: Any])?[String(part)], "unresolved $ref \(ref)")
        }
        return try #require(current as? [String: Any], "$ref \(ref) is not an object")
    }

    /// A method's params (content descriptors), references resolved.
    func params(of method: [String: Any]) throws -> [[String: Any]] {
        try (method["params"] as? [[String: Any]] ?? []).map { try resolve($0) }
    }

    /// A method's errors, references resolved.
    func errors(of method: [String: Any]) throws -> [[String: Any]] {
        try (method["errors"] as? [[String: Any]] ?? []).map { try resolve($0) }
    }

    /// An example pairing's params as a by-name params object.
    func exampleParams(_ example: [String: Any]) throws -> [String: Any] {
        var params: [String: Any] = [:]
        for entry in example["params"] as? [[String: Any]] ?? [] {
            let resolved = try resolve(entry)
            let name = try #require(resolved["name"] as? String)
            let value: Any = try #require(resolved["value"], "example param \(name) has no value")
            params[name] = value
        }
        return params
    }

    /// The top-level member names a schema (or a `$ref` to one) defines.
    func propertyNames(of schema: [String: Any]) throws -> (all: Set<String>, required: Set<String>) {
        let resolved = try resolve(schema)
        let properties = resolved["properties"] as? [String: Any] ?? [:]
        return (Set(properties.keys), Set(resolved["required"] as? [String] ?? []))
    }
}

// MARK: - Calling the service

private func makeService(clock: ManualClock = ManualClock()) -> QuotaService {
    QuotaService(stored: StoredLedger(pools: [], leases: [], revision: 0), clock: clock, openRPCDocument: .null)
}

/// The outcome of one call: the result, or the error's code and data.
private enum Outcome {
    case result(Any)
    case error(code: Int, message: String, data: [String: Any]?)

    var code: Int? {
        if case .error(let code, _, _) = self { return code }
        return nil
    }

    /// `data.field` and `data.reason` of a -32602 error.
    var invalidParams: (field: String, reason: String)? {
        guard case .error(-32602, _, let data?) = self,
              let field = data["field"] as? String, let reason = data["reason"] as? String else { return nil }
        return (field, reason)
    }
}

/// Sends one call with id 1 through `handle(body:)` and decodes the answer.
private func call(_ service: QuotaService, _ method: String, _ params: [String: Any]) throws -> Outcome {
    let request: [String: Any] = ["jsonrpc": "2.0", "id": 1, "method": method, "params": params]
    let body = try JSONSerialization.data(withJSONObject: request, options: [.sortedKeys, .withoutEscapingSlashes])
    let answer = try #require(service.handle(body: Array(body)), "\(method): no answer to a call with an id")
    let response = try #require(try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any])
    if let error = response["error"] as? [String: Any] {
        return .error(
            code: try #require(error["code"] as? Int),
            message: error["message"] as? String ?? "",
            data: error["data"] as? [String: Any]
        )
    }
    return .result(try #require(response["result"], "\(method): a response with neither result nor error"))
}

/// A value with Foundation's wrappers removed, for comparing a documented result with an actual one.
private indirect enum Canonical: Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([Canonical])
    case object([String: Canonical])

    /// Reads a Foundation JSON value by writing it and reading it with quotad's strict reader, which
    /// keeps Booleans and numbers apart.
    init(foundation value: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
        self.init(try JSONReader.parse(Array(data)))
    }

    init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let bool): self = .bool(bool)
        case .number(let number): self = .number(number.doubleValue ?? .nan)
        case .string(let string): self = .string(string)
        case .array(let elements): self = .array(elements.map(Canonical.init))
        case .object(let object):
            var members: [String: Canonical] = [:]
            for (key, value) in object.members { members[key] = Canonical(value) }
            self = .object(members)
        case .encodable(let value): self.init(value.json)
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let bool): "\(bool)"
        case .number(let number): "\(number)"
        case .string(let string): String(reflecting: string)
        case .array(let elements): "[" + elements.map(\.description).joined(separator: ",") + "]"
        case .object(let members):
            "{" + members.sorted { $0.key < $1.key }.map { "\(String(reflecting: $0.key)):\($0.value)" }.joined(separator: ",") + "}"
        }
    }
}

// MARK: - Tests

/// The method names the service registers, as test arguments.
private let serviceMethods: [String] = makeService().methodNames

@Suite("api/openrpc.json matches the service")
struct OpenRPCDocumentTests {
    @Test func documentIsOpenRPC126WithByNameParams() throws {
        let document = try Document.load()
        #expect(document.root["openrpc"] as? String == "1.2.6")
        let info = try #require(document.root["info"] as? [String: Any])
        #expect(info["title"] as? String == "quotad")
        #expect(info["version"] as? String == "0.1.0")
        for method in document.methods {
            let name = method["name"] as? String ?? "?"
            #expect(method["paramStructure"] as? String == "by-name", "\(name) must declare paramStructure by-name")
            #expect(method["result"] != nil, "\(name) has no result")
            #expect(!(method["examples"] as? [Any] ?? []).isEmpty, "\(name) has no example")
        }
    }

    @Test func methodNamesEqualTheServiceMethodTable() throws {
        let document = try Document.load()
        let documented = document.methodNames
        #expect(documented.count == Set(documented).count, "a method is documented twice: \(documented)")
        #expect(Set(documented) == Set(serviceMethods))
    }

    /// Each documented param is read by the service: a wrong-typed value (an array, which no param
    /// takes) is refused with -32602 naming exactly that param. Each call starts from the method's
    /// first example that uses the param (else its first example), so the params read before the one
    /// under test are valid (handlers read params in order and stop at the first bad or missing one).
    /// A param documented `required: false` with `x-requiredWith: [names]` must be refused as
    /// missing exactly when one of those names is present (`pool` with `vmName`).
    @Test(arguments: serviceMethods)
    func documentedParamsAreTheParamsTheServiceReads(method name: String) throws {
        let document = try Document.load()
        let method = try document.method(name)
        let params = try document.params(of: method)
        let examples = try (method["examples"] as? [[String: Any]] ?? []).map { try document.exampleParams(try document.resolve($0)) }
        let baseline = try #require(examples.first, "\(name) has no example")

        var names: [String] = []
        for param in params {
            let paramName = try #require(param["name"] as? String, "\(name): a param without a name")
            names.append(paramName)
            #expect(param["required"] is Bool, "\(name).\(paramName): `required` must be stated")
            #expect(!(param["description"] as? String ?? "").isEmpty, "\(name).\(paramName) has no description")
            #expect(param["schema"] is [String: Any], "\(name).\(paramName) has no schema")
        }
        #expect(names.count == Set(names).count, "\(name): a param is documented twice")
        for key in baseline.keys {
            #expect(names.contains(key), "\(name): the first example uses the undocumented param \(key)")
        }

        // The first example's params are accepted (its pool or lease may not exist in an empty ledger).
        let accepted = try call(makeService(), name, baseline)
        #expect(![-32600, -32601, -32602].contains(accepted.code ?? 0), "\(name): the first example's params are refused: \(accepted)")

        for param in params {
            let paramName = param["name"] as! String
            let baseline = examples.first { $0[paramName] != nil } ?? baseline
            var wrongTyped = baseline
            // A value of a type the param never takes: an array, or for an array param a boolean.
            let isArrayParam = (param["schema"] as? [String: Any])?["type"] as? String == "array"
            wrongTyped[paramName] = isArrayParam ? true : [Any]()
            let outcome = try call(makeService(), name, wrongTyped)
            let refusal = try #require(outcome.invalidParams, "\(name).\(paramName) = [] was not refused with -32602: \(outcome)")
            #expect(refusal.field == paramName, "\(name).\(paramName) = []: the error names \(refusal.field) (\(refusal.reason))")
            #expect(refusal.reason != "unknown parameter", "\(name) does not read the documented param \(paramName)")

            var without = baseline
            without[paramName] = nil
            let missing = try call(makeService(), name, without).invalidParams
            let refusedAsMissing = missing?.field == paramName && missing?.reason == "required"
            let requiredWith = param["x-requiredWith"] as? [String] ?? []
            if param["required"] as? Bool == true {
                #expect(refusedAsMissing, "\(name).\(paramName) is documented as required, but a call without it got \(String(describing: missing))")
            } else if requiredWith.contains(where: { without[$0] != nil }) {
                #expect(refusedAsMissing, "\(name).\(paramName) is documented as required with \(requiredWith), but a call without it got \(String(describing: missing))")
            } else {
                #expect(!refusedAsMissing, "\(name).\(paramName) is documented as optional, but the service requires it")
            }
        }

        var undocumented = baseline
        undocumented["zzUndocumented"] = 1
        let outcome = try call(makeService(), name, undocumented)
        let refusal = try #require(outcome.invalidParams, "\(name) accepted an undocumented param: \(outcome)")
        #expect(refusal.field == "zzUndocumented")
        #expect(refusal.reason == "unknown parameter")
    }

    /// What rpc.discover returns is api/openrpc.json: the resource bundled into QuotaServer is this
    /// file, and quotad's own strict reader parses it.
    @Test func rpcDiscoverReturnsThisDocument() throws {
        let file = try JSONReader.parse(Array(try Data(contentsOf: documentURL)))
        let bundled = OpenRPCDocument.load()
        if let error = bundled["error"] {
            Issue.record("rpc.discover would not return the document: \(error)")
            return
        }
        let same = Canonical(bundled) == Canonical(file)
        #expect(same, "the bundled document differs from api/openrpc.json")
        let service = QuotaService(
            stored: StoredLedger(pools: [], leases: [], revision: 0), clock: ManualClock(), openRPCDocument: bundled
        )
        guard case .result(let result) = try call(service, "rpc.discover", [:]) else {
            Issue.record("rpc.discover failed")
            return
        }
        let discovered = try Canonical(foundation: result) == Canonical(file)
        #expect(discovered, "rpc.discover's result differs from api/openrpc.json")
    }

    /// By-position params are refused, as `paramStructure: by-name` says.
    @Test(arguments: serviceMethods)
    func byPositionParamsAreRefused(method name: String) throws {
        let request = #"{"jsonrpc":"2.0","id":1,"method":"\#(name)","params":[]}"#
        let answer = try #require(makeService().handle(body: Array(request.utf8)))
        let response = try #require(try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any])
        let error = try #require(response["error"] as? [String: Any])
        #expect(error["code"] as? Int == -32602)
        #expect((error["data"] as? [String: Any])?["field"] as? String == "params")
    }

    /// The name each QuotaError has in components/errors. The switch is exhaustive on purpose: a
    /// new case does not compile until it is documented here and in the document.
    static func componentName(of error: QuotaError) -> String {
        switch error {
        case .invalidArgument, .quantityOverflow: "InvalidParams"
        case .poolNotFound: "PoolNotFound"
        case .insufficientHeadroom: "InsufficientHeadroom"
        case .leaseConflict: "LeaseConflict"
        case .leaseNotActive: "LeaseNotActive"
        case .leaseNotFound, .leaseNameNotFound: "LeaseNotFound"
        case .ambiguous: "Ambiguous"
        case .poolBusy: "PoolBusy"
        case .revisionMismatch: "RevisionMismatch"
        }
    }

    /// One value of every QuotaError case.
    static func everyQuotaError() throws -> [QuotaError] {
        let pool = try PoolPath("harvester-a/team-a")
        let id = try LeaseID("6f1c2a3b-8d4e-4f5a-9b6c-7d8e9f0a1b2c")
        let cpu = try ResourceName("limits.cpu")
        let one = ResourceList([cpu: Quantity(integer: 1)])
        let lease = Lease(
            id: id, pool: pool, resources: one, holder: "", labels: [:], state: .active,
            createdAt: Timestamp(nanosecondsSinceEpoch: 0), expiresAt: Timestamp(nanosecondsSinceEpoch: 900_000_000_000),
            ttlSeconds: 900, revision: 1, modRevision: 1, endedAt: nil
        )
        return [
            .invalidArgument(field: "resources", reason: "must not be negative"),
            .quantityOverflow(field: "limits.cpu"),
            .poolNotFound(pool),
            .insufficientHeadroom(Denial(pool: pool, requested: one, available: ResourceList([cpu: .zero]), shortfall: one)),
            .leaseConflict(existing: lease),
            .leaseNotActive(id, state: .expired),
            .leaseNotFound(id),
            .poolBusy(pool, reason: "holds 1 active lease(s); release them first"),
            .revisionMismatch(id, expected: 3, actual: 7),
            .leaseNameNotFound(pool: pool, vmName: "web-frontend-7"),
            .ambiguous(pool: pool, vmName: "web-frontend-7", leases: [id, try LeaseID("9d461576-6cd4-4f91-bda5-36a3a434d6f9")]),
        ]
    }

    /// A 1008 as the authorization check sends it.
    static let forbidden = JSONRPCError.forbidden(
        Principal(name: "ctl-a", role: .controller, scopes: [.all]), method: "setPool", pool: nil,
        reason: "the controller role may not call setPool"
    )

    /// A -32003 as the request budget sends it.
    static let tooExpensive = JSONRPCError.requestTooExpensive(method: "inspect", spent: 50_000, limit: 50_000)

    /// Every code the code base answers with: JSON-RPC's own, QuotaError's, -32001, -32003 and 1008.
    static func codesInTheCodeBase() throws -> Set<Int> {
        var codes: Set<Int> = [
            JSONRPCError.Code.parseError, JSONRPCError.Code.invalidRequest, JSONRPCError.Code.methodNotFound,
            JSONRPCError.Code.invalidParams, JSONRPCError.Code.internalError,
            JSONRPCError.storeUnavailable("disk full").code,
            Self.forbidden.code,
            Self.tooExpensive.code,
        ]
        for error in try everyQuotaError() { codes.insert(error.code) }
        return codes
    }

    @Test func everyDocumentedErrorCodeIsInTheCodeBase() throws {
        let document = try Document.load()
        let codes = try Self.codesInTheCodeBase()
        for method in document.methods {
            let name = method["name"] as? String ?? "?"
            let errors = try document.errors(of: method)
            #expect(!errors.isEmpty, "\(name) documents no errors")
            for error in errors {
                let code = try #require(error["code"] as? Int, "\(name): an error without an integer code")
                #expect(codes.contains(code), "\(name) documents error \(code), which the code base never answers")
                #expect(!(error["message"] as? String ?? "").isEmpty, "\(name): error \(code) has no message")
            }
            // Every method can be refused for its params.
            let documented = Set(try errors.map { try #require($0["code"] as? Int) })
            #expect(documented.contains(JSONRPCError.Code.invalidParams), "\(name) does not document -32602")
        }
        for (componentName, value) in document.components["errors"] as? [String: Any] ?? [:] {
            let code = try #require((value as? [String: Any])?["code"] as? Int, "components/errors/\(componentName) has no code")
            #expect(codes.contains(code), "components/errors/\(componentName) has code \(code), which the code base never answers")
        }
    }

    /// Each QuotaError, and -32001, is documented under its name with its code, the start of its
    /// message, and the members of its data.
    @Test func errorComponentsMatchQuotaError() throws {
        let document = try Document.load()
        let components = try #require(document.components["errors"] as? [String: Any])
        var actual = try Self.everyQuotaError().map { (Self.componentName(of: $0), $0.jsonRPCError) }
        actual.append(("StoreUnavailable", JSONRPCError.storeUnavailable("disk full")))
        actual.append(("Forbidden", Self.forbidden))
        actual.append(("RequestTooExpensive", Self.tooExpensive))
        for (name, error) in actual {
            let component = try #require(components[name] as? [String: Any], "components/errors has no \(name)")
            #expect(component["code"] as? Int == error.code, "\(name): documented code differs from \(error.code)")
            let template = component["message"] as? String ?? ""
            let literalPrefix = String(template.prefix { $0 != "<" })
            #expect(error.message.hasPrefix(literalPrefix), "\(name): message \(String(reflecting: error.message)) does not start as documented: \(String(reflecting: template))")
            let dataSchema = try #require(component["data"] as? [String: Any], "\(name): no data schema")
            let (documentedMembers, requiredMembers) = try document.propertyNames(of: dataSchema)
            guard case .object(let data)? = error.data else {
                Issue.record("\(name): the code sends no data object")
                continue
            }
            let sent = Set(data.keys)
            #expect(sent.isSubset(of: documentedMembers), "\(name): data members \(sent) not all documented in \(documentedMembers)")
            #expect(requiredMembers.isSubset(of: sent), "\(name): documented required data members \(requiredMembers) not all sent (\(sent))")
        }
    }

    /// The examples, replayed in the order of the story they tell (two pools, a migration's lease
    /// reserved, retried, dry-run, inspected, renewed, released, legacy annotations imported and
    /// released by VM name, the pool deleted), give exactly the documented results.
    @Test func examplesReplayToTheirDocumentedResults() throws {
        let document = try Document.load()
        let clock = ManualClock()  // 2027-01-15T08:00:00Z, the examples' createdAt
        let service = makeService(clock: clock)
        let story: [(method: String, example: String, secondsLater: Double)] = [
            ("setPool", "create a cluster pool", 0),
            ("setPool", "create a namespace pool", 0),
            ("reserve", "reserve for a live migration", 0),
            ("reserve", "retry the same reservation", 0),
            ("reserve", "dry run", 0),
            ("inspect", "a pool and its leases", 0),
            ("inspect", "every pool", 0),
            ("inspect", "one lease", 0),
            ("inspect", "a cluster pool and its children", 0),
            ("inspect", "a project's pools and totals", 0),
            ("inspect", "a lease by VM name", 0),
            ("renew", "renew a migration that takes longer", 300),
            ("reconcile", "after a controller restart", 0),
            ("release", "release after the migration", 300),
            ("release", "retry the release", 0),
            ("release", "release an unknown lease", 0),
            ("importAnnotations", "import a ResourceQuota's legacy entries", 0),
            ("release", "release by VM name", 0),
            ("deletePool", "delete the namespace pool", 0),
        ]
        var replayed: Set<String> = []
        for step in story {
            clock.advance(seconds: step.secondsLater)
            let method = try document.method(step.method)
            let examples = try (method["examples"] as? [[String: Any]] ?? []).map { try document.resolve($0) }
            let example = try #require(examples.first { $0["name"] as? String == step.example }, "\(step.method) has no example \"\(step.example)\"")
            let resultExample = try #require(example["result"] as? [String: Any], "\(step.method) \"\(step.example)\" has no result")
            let result = try #require(try document.resolve(resultExample)["value"])
            let outcome = try call(service, step.method, try document.exampleParams(example))
            guard case .result(let actual) = outcome else {
                Issue.record("\(step.method) \"\(step.example)\": \(outcome)")
                continue
            }
            let expected = try Canonical(foundation: result)
            let got = try Canonical(foundation: actual)
            #expect(got == expected, "\(step.method) \"\(step.example)\":\n  documented \(expected)\n  actual     \(got)")
            replayed.insert("\(step.method)/\(step.example)")
        }
        // Every example but rpc.discover's (whose result is this whole document) is in the story.
        for method in document.methods where method["name"] as? String != "rpc.discover" {
            for example in try (method["examples"] as? [[String: Any]] ?? []).map({ try document.resolve($0) }) {
                let key = "\(method["name"] as? String ?? "?")/\(example["name"] as? String ?? "?")"
                #expect(replayed.contains(key), "example \(key) is not replayed by this test")
            }
        }
    }
}
