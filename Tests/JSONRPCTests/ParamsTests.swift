import JSON
import JSONRPC
import Testing

private func params(_ text: String) throws -> Params {
    guard case .object(let object) = try JSONReader.parse(text) else {
        Issue.record("not an object: \(text)")
        return Params()
    }
    return try Params(object)
}

private func invalid(_ field: String, _ reason: String) -> JSONRPCError {
    .invalidParams(field: field, reason: reason)
}

@Suite struct ParamsTests {
    @Test func readsTypedValues() throws {
        var p = try params(#"{"s":"x","b":true,"i":5,"o":{"k":1},"a":[1],"n":null}"#)
        #expect(try p.string("s") == "x")
        #expect(try p.bool("b") == true)
        #expect(try p.integer("i", in: 0...10) == 5)
        #expect(try p.object("o") == ["k": 1])
        #expect(try p.array("a") == [1])
        #expect(p.value("n") == .null)
        #expect(p.value("missing") == nil)
        try p.rejectUnknown()
        #expect(!p.isEmpty)
        #expect(p.names == ["s", "b", "i", "o", "a", "n"])
        #expect(Params().isEmpty)
    }

    @Test func missingRequiredParams() throws {
        var p = Params()
        #expect(throws: invalid("name", "required")) { try p.string("name") }
        #expect(throws: invalid("flag", "required")) { try p.bool("flag") }
        #expect(throws: invalid("n", "required")) { try p.integer("n", in: 0...1) }
        #expect(throws: invalid("o", "required")) { try p.object("o") }
        #expect(throws: invalid("a", "required")) { try p.array("a") }
        let error = JSONRPCError.invalidParams(field: "name", reason: "required")
        #expect(error.code == -32602)
        #expect(error.message == "Invalid params: name: required")
        #expect(error.data == ["field": "name", "reason": "required"])
    }

    @Test func optionalParamsTreatAbsentAndNullAsNil() throws {
        var p = try params(#"{"s":null,"b":null,"i":null,"o":null,"a":null}"#)
        #expect(try p.optionalString("s") == nil)
        #expect(try p.optionalBool("b") == nil)
        #expect(try p.optionalInteger("i", in: 0...1) == nil)
        #expect(try p.optionalObject("o") == nil)
        #expect(try p.optionalArray("a") == nil)
        #expect(try p.optionalString("absent") == nil)
        try p.rejectUnknown()  // null members were read
        var q = try params(#"{"s":"v","b":false,"i":1}"#)
        #expect(try q.optionalString("s") == "v")
        #expect(try q.optionalBool("b") == false)
        #expect(try q.optionalInteger("i", in: 0...1) == 1)
    }

    @Test func wrongTypesNameTheFieldAndTheValue() throws {
        var p = try params(#"{"s":5,"b":"true","o":[],"a":{},"t":"a long string value that goes well past forty characters"}"#)
        #expect(throws: invalid("s", "must be a string, got number 5")) { try p.string("s") }
        #expect(throws: invalid("b", #"must be a boolean, got string "true""#)) { try p.bool("b") }
        #expect(throws: invalid("o", "must be an object, got array")) { try p.object("o") }
        #expect(throws: invalid("a", "must be an array, got object")) { try p.array("a") }
        #expect(throws: invalid("t", #"must be a boolean, got string "a long string value that goes well past "..."#)) { try p.optionalBool("t") }
        #expect(throws: invalid("s", "must be a string, got number 5")) { try p.optionalString("s") }
    }

    @Test(arguments: [
        ("1.5", "number 1.5"), ("1e400", "number 1e400"), ("-1", "number -1"), ("101", "number 101"),
        (#""5""#, #"string "5""#), ("true", "boolean true"), ("[5]", "array"), ("null", "null"),
    ])
    func integersOutsideTheRangeOrNotWhole(_ json: String, _ described: String) throws {
        var p = try params(#"{"n":\#(json)}"#)
        #expect(throws: invalid("n", "must be an integer in 0...100, got \(described)")) { try p.integer("n", in: 0...100) }
    }

    @Test func integerSpellings() throws {
        var p = try params(#"{"a":5.0,"b":5e0,"c":-0,"d":9223372036854775807,"e":-9223372036854775808}"#)
        #expect(try p.integer("a", in: 0...10) == 5)
        #expect(try p.integer("b", in: 0...10) == 5)
        #expect(try p.integer("c", in: 0...10) == 0)
        #expect(try p.integer("d") == Int64.max)
        #expect(try p.integer("e") == Int64.min)
        var q = try params(#"{"a":1.5,"b":-1,"c":1e19}"#)
        #expect(throws: invalid("a", "must be a 64-bit integer, got number 1.5")) { try q.integer("a") }
        #expect(throws: invalid("b", "must be an integer >= 0, got number -1")) { try q.integer("b", in: 0...Int64.max) }
        #expect(throws: invalid("c", "must be an integer <= 10, got number 1e19")) { try q.integer("c", in: Int64.min...10) }
    }

    @Test func duplicateNames() throws {
        guard case .object(let top) = try JSONReader.parse(#"{"a":1,"b":2,"a":3}"#) else { return }
        #expect(throws: invalid("a", "duplicate parameter name")) { try Params(top) }
        var p = try params(#"{"limits":{"cpu":1,"mem":2,"cpu":3}}"#)
        #expect(throws: invalid("limits", #"duplicate member name "cpu""#)) { try p.object("limits") }
        #expect(throws: invalid("limits", #"duplicate member name "cpu""#)) { try p.optionalObject("limits") }
        #expect(throws: invalid("limits", #"duplicate member name "cpu""#)) { try p.nested("limits") }
    }

    @Test func rejectUnknownNamesTheFirstUnreadMember() throws {
        var p = try params(#"{"a":1,"typo":2,"b":3,"other":4}"#)
        _ = try p.integer("a")
        _ = try p.integer("b")
        #expect(throws: invalid("typo", "unknown parameter")) { try p.rejectUnknown() }
        _ = p.value("typo")
        #expect(throws: invalid("other", "unknown parameter")) { try p.rejectUnknown() }
        #expect(p.contains("other"))
        _ = p.value("other")
        try p.rejectUnknown()
        // A failed read still counts as reading the member: the error names it already.
        var q = try params(#"{"a":"x"}"#)
        _ = try? q.integer("a")
        try q.rejectUnknown()
    }

    @Test func nestedParamsCarryTheirPath() throws {
        var p = try params(#"{"limits":{"cpu":"x","extra":1},"resources":[{"name":"gpu","amount":2},{"name":"mem","amount":1.5}],"bad":[1]}"#)
        var limits = try p.nested("limits")
        #expect(limits.path == "limits")
        #expect(throws: invalid("limits.cpu", #"must be a 64-bit integer, got string "x""#)) { try limits.integer("cpu") }
        #expect(throws: invalid("limits.extra", "unknown parameter")) { try limits.rejectUnknown() }
        var resources = try p.objectArray("resources")
        #expect(resources.count == 2)
        #expect(try resources[0].string("name") == "gpu")
        #expect(try resources[0].integer("amount", in: 0...10) == 2)
        try resources[0].rejectUnknown()
        #expect(throws: invalid("resources[1].amount", "must be an integer in 0...10, got number 1.5")) {
            try resources[1].integer("amount", in: 0...10)
        }
        #expect(throws: invalid("bad[0]", "must be an object, got number 1")) { try p.objectArray("bad") }
        #expect(try p.optionalNested("absent") == nil)
        try p.rejectUnknown()
    }

    @Test func handlersThatValidateFirstDoNotActOnUnknownParams() throws {
        let log = CallLog()
        let response = try single(call(#"{"jsonrpc":"2.0","method":"subtract","params":{"minuend":2,"subtrahend":1,"dry_run":true},"id":1}"#, log: log))
        #expect(response.error == invalid("dry_run", "unknown parameter"))
        #expect(log.calls.isEmpty)
    }
}

@Suite struct ErrorTests {
    @Test func predefinedErrors() {
        #expect(JSONRPCError.parseError("x") == JSONRPCError(code: -32700, message: "Parse error: x"))
        #expect(JSONRPCError.invalidRequest("x") == JSONRPCError(code: -32600, message: "Invalid Request: x"))
        #expect(JSONRPCError.methodNotFound("m") == JSONRPCError(code: -32601, message: "Method not found", data: ["method": "m"]))
        #expect(JSONRPCError.invalidParams(field: "f", reason: "r") == JSONRPCError(code: -32602, message: "Invalid params: f: r", data: ["field": "f", "reason": "r"]))
        #expect(JSONRPCError.internalError("x") == JSONRPCError(code: -32603, message: "Internal error: x"))
        #expect(JSONRPCError.Code.invalidParams == -32602)
    }

    @Test func errorObjectJSON() {
        #expect(JSONRPCError(code: 1, message: "m").json.description == #"{"code":1,"message":"m"}"#)
        #expect(JSONRPCError(code: -32000, message: "m", data: [1]).json.description == #"{"code":-32000,"message":"m","data":[1]}"#)
        #expect(JSONRPCError(json: ["code": 1, "message": "m", "data": nil]) == JSONRPCError(code: 1, message: "m", data: .null))
        #expect(JSONRPCError(json: ["code": 1.5, "message": "m"]) == nil)
        #expect(JSONRPCError(json: ["code": 1, "message": "m", "extra": 1]) == nil)
    }

    @Test func idConversions() {
        #expect(JSONRPCID(JSONValue.bool(true)) == nil)
        #expect(JSONRPCID(JSONValue.array([])) == nil)
        #expect(JSONRPCID(JSONValue.null) == .null)
        #expect(JSONRPCID(7).json == 7)
        #expect(JSONRPCID("a").description == #""a""#)
    }
}
