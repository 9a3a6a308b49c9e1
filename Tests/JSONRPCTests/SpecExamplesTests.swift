import JSON
import JSONRPC
import Testing

/// The examples of JSON-RPC 2.0 section 7, run against handlers registered in
/// `makeDispatcher`. quotad takes params by name only, so the examples that pass
/// params by position are answered -32602 (field "params"); each of those is
/// also run in its by-name form, which must give exactly the spec's answer.
@Suite struct SpecExamplesTests {
    @Test func positionalParametersAreRefusedWithInvalidParams() throws {
        for (body, id) in [
            (#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#, JSONRPCID(1)),
            (#"{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}"#, JSONRPCID(2)),
        ] {
            let response = try single(call(body))
            #expect(response.id == id)
            #expect(response.error == .invalidParams(field: "params", reason: "params must be by name (an object)"))
        }
    }

    @Test func namedParameters() throws {
        #expect(call(#"{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"#)
            == #"{"jsonrpc":"2.0","result":19,"id":3}"#)
        #expect(call(#"{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}"#)
            == #"{"jsonrpc":"2.0","result":19,"id":4}"#)
        #expect(call(#"{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 23, "subtrahend": 42}, "id": 2}"#)
            == #"{"jsonrpc":"2.0","result":-19,"id":2}"#)
    }

    @Test func notificationsAreRunButNotAnswered() {
        let log = CallLog()
        #expect(call(#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#, log: log) == nil)
        #expect(call(#"{"jsonrpc": "2.0", "method": "update", "params": {"values": [1,2,3,4,5]}}"#, log: log) == nil)
        #expect(call(#"{"jsonrpc": "2.0", "method": "foobar"}"#, log: log) == nil)
        // The by-position notification is never answered, so it fails silently; the
        // by-name one runs.
        #expect(log.calls == ["update"])
    }

    @Test func nonExistentMethod() throws {
        let response = try single(call(#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#))
        #expect(response.id == "1")
        #expect(response.code == -32601)
        #expect(response.error?.message == "Method not found")
        #expect(response.error?.data == ["method": "foobar"])
    }

    @Test func invalidJSON() throws {
        let response = try single(call(#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#))
        #expect(response.id == .null)
        #expect(response.code == -32700)
        #expect(response.error?.message.hasPrefix("Parse error") == true)
    }

    @Test func invalidRequestObject() throws {
        let response = try single(call(#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#))
        #expect(response.id == .null)
        #expect(response.code == -32600)
        #expect(response.error?.message.hasPrefix("Invalid Request") == true)
    }

    @Test func batchWithInvalidJSON() throws {
        let response = try single(call(#"""
            [
              {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
              {"jsonrpc": "2.0", "method"
            ]
            """#))
        #expect(response.id == .null)
        #expect(response.code == -32700)
    }

    @Test func emptyArray() throws {
        let response = try single(call("[]"))
        #expect(response.id == .null)
        #expect(response.code == -32600)
    }

    @Test func invalidBatchButNotEmpty() throws {
        let (list, isBatch) = try responses(call("[1]"))
        #expect(isBatch)
        #expect(list.map(\.id) == [.null])
        #expect(list.map(\.code) == [-32600])
    }

    @Test func invalidBatch() throws {
        let (list, isBatch) = try responses(call("[1,2,3]"))
        #expect(isBatch)
        #expect(list.map(\.id) == [.null, .null, .null])
        #expect(list.map(\.code) == [-32600, -32600, -32600])
    }

    static let specBatch = #"""
        [
            {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
            {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
            {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
            {"foo": "boo"},
            {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
            {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
        ]
        """#

    @Test func batchAsWrittenInTheSpec() throws {
        let (list, isBatch) = try responses(call(Self.specBatch))
        #expect(isBatch)
        #expect(list.map(\.id) == ["1", "2", .null, "5", "9"])
        #expect(list.map(\.code) == [-32602, -32602, -32600, -32601, nil])
        #expect(list[4].result == ["hello", 5])
    }

    @Test func batchByName() throws {
        let log = CallLog()
        let body = call(#"""
            [
                {"jsonrpc": "2.0", "method": "sum", "params": {"values": [1,2,4]}, "id": "1"},
                {"jsonrpc": "2.0", "method": "notify_hello", "params": {"value": 7}},
                {"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": "2"},
                {"foo": "boo"},
                {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
                {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
            ]
            """#, log: log)
        // Exactly the spec's answer, in the spec's order.
        let expected = try JSONReader.parse(#"""
            [
                {"jsonrpc": "2.0", "result": 7, "id": "1"},
                {"jsonrpc": "2.0", "result": 19, "id": "2"},
                {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
                {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
                {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
            ]
            """#)
        let (list, isBatch) = try responses(body)
        #expect(isBatch)
        let expectedList = try #require(expected.arrayValue).map { try JSONRPCResponse(from: $0) }
        #expect(list.map(\.id) == expectedList.map(\.id))
        #expect(list.map(\.result) == expectedList.map(\.result))
        #expect(list.map(\.code) == expectedList.map(\.code))
        for (got, want) in zip(list, expectedList) {
            if let want = want.error?.message {
                #expect(got.error?.message.hasPrefix(want) == true)
            }
        }
        #expect(log.calls == ["sum", "notify_hello", "subtract", "get_data"])
    }

    @Test func batchOfNotificationsOnly() {
        let log = CallLog()
        #expect(call(#"""
            [
                {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
                {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
            ]
            """#, log: log) == nil)
        #expect(call(#"[{"jsonrpc": "2.0", "method": "notify_sum", "params": {"v": [1,2,4]}}, {"jsonrpc": "2.0", "method": "notify_hello"}]"#, log: log) == nil)
        #expect(log.calls == ["notify_sum", "notify_hello"])
    }
}
