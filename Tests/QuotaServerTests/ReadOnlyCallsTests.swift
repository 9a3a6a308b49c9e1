import Testing
@testable import QuotaServer

/// The byte-level guess that lets a PostgreSQL replica answer reads without the lock (issue #9).
@Suite struct ReadOnlyCallsTests {
    @Test(arguments: [
        #"{"jsonrpc":"2.0","id":1,"method":"inspect","params":{"pool":"c1"}}"#,
        #"[{"method":"inspect"},{"method" : "rpc.discover"}]"#,
        #"{"params":{"labels":{"x":"method"}},"method":"inspect"}"#,
        "{\"method\"\n:\t\"inspect\"}",
    ])
    func readsAreRecognized(body: String) {
        #expect(!ReadOnlyCalls.mayWrite(Array(body.utf8)))
    }

    @Test(arguments: [
        #"{"jsonrpc":"2.0","id":1,"method":"reserve","params":{}}"#,
        #"[{"method":"inspect"},{"method":"release"}]"#,
        #"{"method":"inspectx"}"#,
        #"{"\u006dethod":"reserve"}"#,
        #"{"method":"insp\u0065ct"}"#,
        #"{"id":1}"#,
        "",
        "not json",
        #"{"method":"#,
    ])
    func anythingElseMayWrite(body: String) {
        #expect(ReadOnlyCalls.mayWrite(Array(body.utf8)))
    }
}
