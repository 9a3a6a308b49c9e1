import Testing
@testable import QuotaServer

/// `POST /rpc` accepts `application/json` with any parameters, in any letter case (RFC 9110
/// section 8.3.1), and nothing else.
@Suite struct MediaTypeTests {
    @Test(arguments: ["application/json", "Application/JSON", "application/json; charset=utf-8", " \tapplication/json \t;x=y", "APPLICATION/JSON;"])
    func jsonIsAccepted(value: String) {
        #expect(QuotaServer.isJSONMediaType(value))
    }

    @Test(arguments: ["", "application/jso", "application/jsonx", "application/json-seq", "text/plain", "application/json x", "application/ json", "applicationXjson"])
    func anythingElseIsNot(value: String) {
        #expect(!QuotaServer.isJSONMediaType(value))
    }
}
