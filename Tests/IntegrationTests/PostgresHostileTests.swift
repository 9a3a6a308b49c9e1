import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue #9 under hostile conditions found by review: a database session that stops answering, a
/// database that accepts connections and never answers, passes too heavy for the lock's timeouts,
/// a database that goes back in time. Real PostgreSQL (``PostgresCluster``), real quotad processes.
@Suite(.serialized) struct PostgresHostileTests {
    /// One JSON-RPC call on its own connection, waiting at most `seconds` for the answer.
    static func call(_ port: Int, _ method: String, _ params: [String: Any], seconds: Double) throws -> [String: Any] {
        let connection = try KeepAliveConnection(port: port, timeout: seconds)
        defer { connection.close() }
        let body = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": 1, "method": method, "params": params])
        let response = try connection.post(body)
        return response.object
    }

    /// The backend processes serving quotad's sessions on `database`.
    static func quotadBackends(_ cluster: PostgresCluster, database: String) throws -> [pid_t] {
        try cluster.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'quotad' AND datname = '\(database)'")
            .split(separator: "\n").compactMap { pid_t($0) }
    }

    /// A replica whose database session stops answering without closing its socket (here its
    /// backend is stopped with SIGSTOP; a partition that drops packets looks the same) must not
    /// hold its calls forever: the exchange times out, the connection is dropped and made again
    /// (to a new backend), and the replica answers again. Before the fix the call never got an
    /// answer and /readyz said 200 all along.
    @Test func aStalledDatabaseSessionIsDroppedAndTheReplicaAnswersAgain() throws {
        let cluster = try PostgresCluster(fsync: false)
        defer { cluster.shutdown() }
        let url = try cluster.createDatabase("stalled")
        let replica = try QuotadProcess(arguments: ["--store", url])
        _ = try replica.client.result("setPool", ["pool": "c1", "capacity": ["cpu": "4"]])

        let backends = try Self.quotadBackends(cluster, database: "stalled")
        try #require(backends.count == 1, "one session: \(backends)")
        kill(backends[0], SIGSTOP)
        defer { kill(backends[0], SIGCONT) }
        // Let the replica's next cycle reach the stopped backend.
        usleep(1_500_000)

        let started = Date()
        let first = try Self.call(replica.port, "reserve", [
            "pool": "c1", "lease": UUID().uuidString.lowercased(), "resources": ["cpu": "1"],
        ], seconds: 90)
        let waited = Date().timeIntervalSince(started)
        // Answered (-32001, or ok once the replica has reconnected), well before the client gave up.
        #expect(first["result"] != nil || (first["error"] as? [String: Any])?["code"] as? Int == -32001, "\(first)")
        #expect(waited < 60, "answered after \(waited) s")

        // The replica reconnected on a new session and serves again while the old backend is still stopped.
        var served = false
        for _ in 0..<100 where !served {
            let answer = try Self.call(replica.port, "inspect", ["pool": "c1"], seconds: 60)
            served = answer["result"] != nil
            if !served { usleep(100_000) }
        }
        #expect(served, "the replica serves again on a new session")
        #expect(try replica.client.request("GET", "/readyz").status == 200)
    }
}
