import JSON
import JSONRPC
import Testing

@Suite struct BodyTests {
    @Test func byteOrderMarkIsTolerated() throws {
        let dispatcher = makeDispatcher()
        let body: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(#"{"jsonrpc":"2.0","method":"get_data","id":1}"#.utf8)
        let out = dispatcher.handle(body: body, context: CallLog()).map { String(decoding: $0, as: UTF8.self) }
        #expect(out == #"{"jsonrpc":"2.0","result":["hello",5],"id":1}"#)
        // Only one, and only at the start.
        let twice = dispatcher.handle(body: [0xEF, 0xBB, 0xBF] + body, context: CallLog()).map { String(decoding: $0, as: UTF8.self) }
        #expect(try single(twice).code == -32700)
        let bomOnly = dispatcher.handle(body: [0xEF, 0xBB, 0xBF], context: CallLog()).map { String(decoding: $0, as: UTF8.self) }
        #expect(try single(bomOnly).code == -32700)
    }

    @Test(arguments: ["", " ", "\n\t", "{", "[1,]", "{'a':1}", "nul", #"{"jsonrpc":"2.0","method":"m","id":01}"#, "[1] x"])
    func invalidJSONIsOneParseErrorWithNullID(_ body: String) throws {
        let out = call(body)
        let response = try single(out)
        #expect(response.code == -32700)
        #expect(response.id == .null)
        #expect(out?.hasPrefix(#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error: "#) == true)
        #expect(out?.hasSuffix(#""},"id":null}"#) == true)
    }

    @Test func emptyBodyIsAParseError() {
        #expect(call("") == #"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error: the body is empty"},"id":null}"#)
    }

    @Test func invalidUTF8IsAParseError() throws {
        let bodies: [[UInt8]] = [
            Array(#"{"jsonrpc":"2.0","method":""#.utf8) + [0xC0, 0xAF] + Array(#"","id":1}"#.utf8),
            Array(#"{"jsonrpc":"2.0","method":"m","params":{"k":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""},"id":1}"#.utf8),
            [0xFF],
        ]
        for body in bodies {
            let out = makeDispatcher().handle(body: body, context: CallLog()).map { String(decoding: $0, as: UTF8.self) }
            let response = try single(out)
            #expect(response.code == -32700)
            #expect(response.id == .null)
            #expect(response.error?.message.contains("invalid UTF-8") == true)
        }
    }

    @Test func tooDeepIsAnInvalidRequest() throws {
        let deep = #"{"jsonrpc":"2.0","method":"echo","params":{"a":"# + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "},\"id\":1}"
        let response = try single(call(deep))
        #expect(response.code == -32600)
        #expect(response.id == .null)
        #expect(response.error?.message == "Invalid Request: JSON nested deeper than 64 levels")
        let closed = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(try single(call(closed)).code == -32600)
        // Unclosed, it is not JSON at all.
        #expect(try single(call(String(repeating: "[", count: 100_000))).code == -32700)
    }

    @Test(arguments: ["1", #""x""#, "null", "true", "-0.5"])
    func scalarBodyIsOneInvalidRequestWithNullID(_ body: String) throws {
        let response = try single(call(body))
        #expect(response.code == -32600)
        #expect(response.id == .null)
    }

    @Test func responseMemberOrder() {
        #expect(call(#"{"id":7,"params":{"minuend":1,"subtrahend":2},"method":"subtract","jsonrpc":"2.0"}"#)
            == #"{"jsonrpc":"2.0","result":-1,"id":7}"#)
        #expect(call(#"{"jsonrpc":"2.0","method":"fail","id":"x"}"#)
            == #"{"jsonrpc":"2.0","error":{"code":-32001,"message":"Quota exceeded","data":{"pool":"p"}},"id":"x"}"#)
    }
}

@Suite struct RequestObjectTests {
    @Test(arguments: [
        #"{"method":"get_data","id":1}"#,  // missing
        #"{"jsonrpc":2.0,"method":"get_data","id":1}"#,  // a number
        #"{"jsonrpc":"1.0","method":"get_data","id":1}"#,
        #"{"jsonrpc":"2.0 ","method":"get_data","id":1}"#,
        #"{"jsonrpc":"2","method":"get_data","id":1}"#,
        #"{"jsonrpc":null,"method":"get_data","id":1}"#,
        #"{"jsonrpc":["2.0"],"method":"get_data","id":1}"#,
    ])
    func jsonrpcMustBeExactlyTheString2_0(_ body: String) throws {
        let response = try single(call(body))
        #expect(response.code == -32600)
        #expect(response.id == 1)  // the id was readable, so it is echoed
        #expect(response.error?.message.contains("jsonrpc") == true)
    }

    @Test(arguments: [
        #"{"jsonrpc":"2.0","id":1}"#, #"{"jsonrpc":"2.0","method":1,"id":1}"#, #"{"jsonrpc":"2.0","method":null,"id":1}"#,
        #"{"jsonrpc":"2.0","method":["get_data"],"id":1}"#, #"{"jsonrpc":"2.0","method":{},"id":1}"#,
    ])
    func methodMustBeAString(_ body: String) throws {
        let response = try single(call(body))
        #expect(response.code == -32600)
        #expect(response.error?.message.contains("method") == true)
    }

    @Test(arguments: [#""bar""#, "1", "null", "true"])
    func paramsMustBeStructured(_ params: String) throws {
        let response = try single(call(#"{"jsonrpc":"2.0","method":"get_data","params":\#(params),"id":1}"#))
        #expect(response.code == -32600)
        #expect(response.error?.message.contains("params") == true)
    }

    @Test func byPositionParamsAreInvalidParams() throws {
        let response = try single(call(#"{"jsonrpc":"2.0","method":"get_data","params":[],"id":1}"#))
        #expect(response.error == JSONRPCError.invalidParams(field: "params", reason: "params must be by name (an object)"))
        #expect(response.error?.data == ["field": "params", "reason": "params must be by name (an object)"])
        // An unknown method is reported first.
        #expect(try single(call(#"{"jsonrpc":"2.0","method":"nope","params":[1],"id":1}"#)).code == -32601)
    }

    @Test func absentParamsAreAnEmptyObject() throws {
        #expect(call(#"{"jsonrpc":"2.0","method":"echo","id":1}"#) == #"{"jsonrpc":"2.0","result":{},"id":1}"#)
        #expect(call(#"{"jsonrpc":"2.0","method":"echo","params":{},"id":1}"#) == #"{"jsonrpc":"2.0","result":{},"id":1}"#)
    }

    @Test(arguments: [
        ("1", "1"), ("9007199254740993", "9007199254740993"), ("1.0", "1.0"), ("1e5", "1e5"), ("-0", "-0"),
        ("1.5", "1.5"), ("123456789012345678901234567890", "123456789012345678901234567890"), ("1E+400", "1E+400"),
        (#""abc""#, #""abc""#), (#""""#, #""""#), (#""\u00e9\n""#, "\"é\\u000a\""), ("null", "null"),
    ])
    func idIsEchoedExactly(_ id: String, _ echoed: String) {
        #expect(call(#"{"jsonrpc":"2.0","method":"get_data","id":\#(id)}"#) == #"{"jsonrpc":"2.0","result":["hello",5],"id":\#(echoed)}"#)
    }

    @Test(arguments: ["true", "false", "[]", "[1]", "{}", #"{"a":1}"#])
    func idOfTheWrongTypeIsInvalidRequestWithNullID(_ id: String) throws {
        let log = CallLog()
        let response = try single(call(#"{"jsonrpc":"2.0","method":"get_data","id":\#(id)}"#, log: log))
        #expect(response.code == -32600)
        #expect(response.id == .null)
        #expect(log.calls.isEmpty)
    }

    @Test func notificationsAreNeverAnswered() {
        let log = CallLog()
        for body in [
            #"{"jsonrpc":"2.0","method":"nope"}"#,  // unknown method
            #"{"jsonrpc":"2.0","method":"subtract","params":{"minuend":"x"}}"#,  // bad params
            #"{"jsonrpc":"2.0","method":"subtract","params":[1,2]}"#,  // by position
            #"{"jsonrpc":"2.0","method":"subtract","params":{"a":1,"a":2}}"#,  // duplicate param
            #"{"jsonrpc":"2.0","method":"fail"}"#,  // handler error
            #"{"jsonrpc":"2.0","method":"get_data"}"#,
        ] {
            #expect(call(body, log: log) == nil, "\(body)")
        }
        #expect(log.calls == ["fail", "get_data"])
    }

    @Test(arguments: [
        #"{"foo":"boo"}"#, #"{}"#, #"{"jsonrpc":"2.0","method":1}"#, #"{"jsonrpc":"1.0","method":"get_data"}"#,
        #"{"jsonrpc":"2.0","method":"get_data","params":"x"}"#, #"{"jsonrpc":"2.0","method":"get_data","extra":1}"#,
    ])
    func invalidRequestsWithoutIDAreStillAnswered(_ body: String) throws {
        let response = try single(call(body))
        #expect(response.code == -32600)
        #expect(response.id == .null)
    }

    @Test func duplicateMembersInTheRequestObject() throws {
        let method = try single(call(#"{"jsonrpc":"2.0","method":"get_data","method":"fail","id":1}"#))
        #expect(method.code == -32600)
        #expect(method.error?.message == #"Invalid Request: member "method" appears more than once"#)
        #expect(method.id == 1)
        let id = try single(call(#"{"jsonrpc":"2.0","method":"get_data","id":1,"id":2}"#))
        #expect(id.code == -32600)
        #expect(id.id == .null)  // which id? neither
        #expect(id.error?.message.contains(#""id""#) == true)
    }

    @Test func duplicateNamesInParams() throws {
        let response = try single(call(#"{"jsonrpc":"2.0","method":"subtract","params":{"minuend":1,"subtrahend":2,"minuend":3},"id":1}"#))
        #expect(response.error == .invalidParams(field: "minuend", reason: "duplicate parameter name"))
        #expect(response.id == 1)
    }

    @Test func unknownRequestMembersAreRefused() throws {
        let response = try single(call(#"{"jsonrpc":"2.0","method":"subtract","param":{"minuend":1},"id":1}"#))
        #expect(response.code == -32600)
        #expect(response.error?.message.contains(#""param""#) == true)
        #expect(response.id == 1)
    }

    @Test func reservedRPCNamesAreDispatchedWhenRegistered() throws {
        var d = makeDispatcher()
        d.register("rpc.discover") { params, _ throws(JSONRPCError) in
            try params.rejectUnknown()
            return ["openrpc": "1.2.6"]
        }
        let out = d.handle(body: Array(#"{"jsonrpc":"2.0","method":"rpc.discover","id":0}"#.utf8), context: CallLog())
        #expect(out.map { String(decoding: $0, as: UTF8.self) } == #"{"jsonrpc":"2.0","result":{"openrpc":"1.2.6"},"id":0}"#)
        #expect(try single(call(#"{"jsonrpc":"2.0","method":"rpc.other","id":0}"#)).code == -32601)
        #expect(d.methodNames.contains("rpc.discover"))
        #expect(d.methodNames == d.methodNames.sorted())
    }

    @Test func methodNamesMatchCodeUnitByCodeUnit() throws {
        var d = JSONRPCDispatcher<Void>()
        d.register("caf\u{E9}") { _, _ throws(JSONRPCError) in true }
        let nfc = d.handle(body: Array(#"{"jsonrpc":"2.0","method":"caf\u00e9","id":1}"#.utf8), context: ())
        let nfd = d.handle(body: Array(#"{"jsonrpc":"2.0","method":"cafe\u0301","id":1}"#.utf8), context: ())
        #expect(try single(nfc.map { String(decoding: $0, as: UTF8.self) }).result == true)
        #expect(try single(nfd.map { String(decoding: $0, as: UTF8.self) }).code == -32601)
    }

    @Test func handlerErrorsAreAnsweredWithTheRequestID() throws {
        let response = try single(call(#"{"jsonrpc":"2.0","method":"fail","id":"abc"}"#))
        #expect(response.id == "abc")
        #expect(response.error == JSONRPCError(code: -32001, message: "Quota exceeded", data: ["pool": "p"]))
    }
}

@Suite struct BatchTests {
    @Test func responsesComeInRequestOrderWithoutNotifications() throws {
        let log = CallLog()
        let (list, isBatch) = try responses(call(#"""
            [{"jsonrpc":"2.0","method":"subtract","params":{"minuend":5,"subtrahend":1},"id":"a"},
             {"jsonrpc":"2.0","method":"notify_hello"},
             {"jsonrpc":"2.0","method":"fail","id":"b"},
             {"jsonrpc":"2.0","method":"nope"},
             {"jsonrpc":"2.0","method":"get_data","id":"c"}]
            """#, log: log))
        #expect(isBatch)
        #expect(list.map(\.id) == ["a", "b", "c"])
        #expect(list.map(\.code) == [nil, -32001, nil])
        #expect(log.calls == ["subtract", "notify_hello", "fail", "get_data"])
    }

    @Test func batchSizeLimit() throws {
        let element = #"{"jsonrpc":"2.0","method":"get_data","id":1}"#
        let atLimit = "[" + Array(repeating: element, count: 3).joined(separator: ",") + "]"
        #expect(try responses(call(atLimit, maxBatchSize: 3)).responses.count == 3)
        let log = CallLog()
        let overLimit = "[" + Array(repeating: element, count: 4).joined(separator: ",") + "]"
        let response = try single(call(overLimit, maxBatchSize: 3, log: log))
        #expect(response.code == -32600)
        #expect(response.id == .null)
        #expect(response.error?.message == "Invalid Request: a batch of 4 requests exceeds the limit of 3 requests per batch")
        #expect(log.calls.isEmpty)  // nothing ran
        // The default limit is 1000.
        let thousandAndOne = "[" + Array(repeating: element, count: 1001).joined(separator: ",") + "]"
        #expect(try single(call(thousandAndOne)).error?.message.contains("1000") == true)
    }

    @Test func nestedBatchesAndNonObjectsAreInvalidRequests() throws {
        let (list, _) = try responses(call(#"[[{"jsonrpc":"2.0","method":"get_data","id":1}], null, "x", {"jsonrpc":"2.0","method":"get_data","id":2}]"#))
        #expect(list.map(\.code) == [-32600, -32600, -32600, nil])
        #expect(list.map(\.id) == [.null, .null, .null, 2])
    }

    @Test func invalidJSONAnywhereInABatchIsOneParseError() throws {
        let response = try single(call(#"[{"jsonrpc":"2.0","method":"get_data","id":1}, {"jsonrpc":"2.0","method":"get_data","id":01}]"#))
        #expect(response.code == -32700)
        #expect(response.id == .null)
    }
}

@Suite struct RequestTypeTests {
    @Test func decodesAndEncodesRequests() throws {
        let request = try JSONRPCRequest(from: JSONReader.parse(#"{"jsonrpc":"2.0","method":"m","params":{"a":1},"id":"x"}"#))
        #expect(request == JSONRPCRequest(method: "m", params: ["a": 1], id: "x"))
        #expect(!request.isNotification)
        #expect(request.json.description == #"{"jsonrpc":"2.0","method":"m","params":{"a":1},"id":"x"}"#)
        let note = JSONRPCRequest(method: "n", id: nil)
        #expect(note.isNotification)
        #expect(note.json.description == #"{"jsonrpc":"2.0","method":"n"}"#)
        #expect(throws: JSONRPCError.self) { try JSONRPCRequest(from: JSONReader.parse(#"{"jsonrpc":"2.0","method":"m","params":[1]}"#)) }
        #expect(throws: JSONRPCError.self) { try JSONRPCRequest(from: JSONReader.parse(#"{"method":"m"}"#)) }
    }

    @Test func callRunsADecodedRequest() {
        let d = makeDispatcher()
        let result = d.call(JSONRPCRequest(method: "subtract", params: ["minuend": 3, "subtrahend": 1], id: nil), context: CallLog())
        #expect(result == .success(2))
        #expect(d.call(JSONRPCRequest(method: "nope", id: 1), context: CallLog()) == .failure(.methodNotFound("nope")))
    }

    @Test func responsesRoundTrip() throws {
        let ok = JSONRPCResponse(id: 1, result: ["a": [1, 2]])
        #expect(try JSONRPCResponse(from: ok.json) == ok)
        let failed = JSONRPCResponse(id: .null, error: .parseError("x"))
        #expect(try JSONRPCResponse(from: failed.json) == failed)
        #expect(throws: JSONRPCResponse.DecodingError.self) {
            try JSONRPCResponse(from: ["jsonrpc": "2.0", "result": 1, "error": ["code": 1, "message": "m"], "id": 1])
        }
        #expect(throws: JSONRPCResponse.DecodingError.self) { try JSONRPCResponse(from: ["jsonrpc": "2.0", "result": 1]) }
    }
}
