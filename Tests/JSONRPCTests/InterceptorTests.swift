import JSON
import JSONRPC
import Testing

/// The dispatcher's interceptor (issue #7): it sees every call, notifications and refused
/// requests included, with the method, the raw params and the outcome.
@Suite struct InterceptorTests {
    final class Seen: @unchecked Sendable {
        var calls: [(method: String?, params: JSONValue?, notification: Bool, code: Int?)] = []
    }

    func dispatcher(_ seen: Seen) -> JSONRPCDispatcher<CallLog> {
        var d = makeDispatcher(maxBatchSize: 3)
        d.interceptor = { call, _, proceed in
            let outcome = proceed()
            let code: Int? = if case .failure(let error) = outcome { error.code } else { nil }
            seen.calls.append((call.method, call.params, call.isNotification, code))
            return outcome
        }
        return d
    }

    @Test func seesEveryCallOfABatchInOrder() {
        let seen = Seen()
        let body = #"[{"jsonrpc":"2.0","id":1,"method":"subtract","params":{"minuend":5,"subtrahend":2}},{"jsonrpc":"2.0","method":"subtract","params":{"minuend":1,"subtrahend":1}},{"foo":1}]"#
        let answer = dispatcher(seen).handle(body: Array(body.utf8), context: CallLog())
        #expect(answer != nil)
        #expect(seen.calls.count == 3)
        #expect(seen.calls[0].method == "subtract" && seen.calls[0].code == nil && !seen.calls[0].notification)
        #expect(seen.calls[0].params?["minuend"]?.int64Value == 5)
        #expect(seen.calls[1].notification)
        #expect(seen.calls[2].method == nil && seen.calls[2].code == -32600)
    }

    @Test func seesBodiesRefusedBeforeDispatch() {
        let seen = Seen()
        let d = dispatcher(seen)
        for body in ["", "{", "[]", "7", "[1,2,3,4]"] {
            _ = d.handle(body: Array(body.utf8), context: CallLog())
        }
        #expect(seen.calls.map(\.method) == [nil, nil, nil, nil, nil])
        #expect(seen.calls.map(\.code) == [-32700, -32700, -32600, -32600, -32600])
    }

    @Test func unknownMethodsAreSeenByTheirName() {
        let seen = Seen()
        _ = dispatcher(seen).handle(body: Array(#"{"jsonrpc":"2.0","id":1,"method":"nope"}"#.utf8), context: CallLog())
        #expect(seen.calls.first?.method == "nope" && seen.calls.first?.code == -32601)
    }
}
