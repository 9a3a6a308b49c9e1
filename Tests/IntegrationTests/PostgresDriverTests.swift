import EventHTTP
import Foundation
import QuotaPostgres
import QuotaStore
import Testing

/// The libpq driver on the libevent loop, and the schema's start-up, against a real PostgreSQL
/// (issue #9). Each test runs its own loop on the test's thread, stopped by a watchdog at the latest.
@Suite(.serialized) struct PostgresDriverTests {
    /// Runs `loop` until something stops it, or `seconds` pass (then records an issue).
    private func run(_ loop: EventLoop, seconds: Double) throws {
        var fired = false
        let watchdog = loop.makeTimer {
            fired = true
            loop.stop()
        }
        watchdog.schedule(afterSeconds: seconds)
        try loop.run()
        #expect(!fired, "the loop was stopped by the watchdog after \(seconds) s")
    }

    @Test func aPipelineAnswersInOrderAndAFailedStatementLeavesTheConnectionUsable() throws {
        let cluster = try PostgresCluster(fsync: false)
        defer { cluster.shutdown() }
        let url = try cluster.createDatabase("driver")
        let loop = try EventLoop()
        let connection = PostgresConnection(conninfo: url, loop: loop, sessionStatements: [PostgresStatement("SET application_name = 'driver-test'")])
        // 4 MiB in one parameter: more than a socket buffer, so libpq's flush must wait for writability.
        let big = String(repeating: "q", count: 4 << 20)
        var first: Result<[PostgresResult], PostgresError>?
        var second: Result<[PostgresResult], PostgresError>?
        var third: Result<[PostgresResult], PostgresError>?
        connection.onReady = {
            connection.execute([
                PostgresStatement("SELECT 1"),
                PostgresStatement("SELECT $1 || '!'", ["it's; DROP TABLE x; --"]),
                PostgresStatement("SELECT length($1)", [big]),
                PostgresStatement("SELECT current_setting('application_name'), $1::text IS NULL", [nil]),
                PostgresStatement("SELECT generate_series(1, 5000)"),
            ]) { result in
                first = result
                connection.execute([PostgresStatement("SELECT 1/0"), PostgresStatement("SELECT 2")]) { result in
                    second = result
                    connection.execute([PostgresStatement("SELECT 3")]) { result in
                        third = result
                        loop.stop()
                    }
                }
            }
        }
        connection.connect()
        try run(loop, seconds: 30)
        let results = try #require(try first?.get())
        #expect(results.count == 5)
        #expect(try results[0].scalar() == "1")
        #expect(try results[1].scalar() == "it's; DROP TABLE x; --!", "parameters never become SQL")
        #expect(try results[2].integer() == Int64(big.utf8.count))
        #expect(results[3].rows == [["driver-test", "t"]], "the session statements ran; nil is NULL")
        #expect(results[4].rows.count == 5000 && results[4].rows.last == ["5000"])
        guard case .failure(.server(let sqlState, let message))? = second else {
            Issue.record("division by zero should fail the exchange: \(String(describing: second))")
            return
        }
        #expect(sqlState == "22012", "\(message)")
        #expect(try third?.get().first?.scalar() == "3", "the connection is usable after a failed statement")
        connection.close()
    }

    @Test func itReconnectsByItselfAfterTheServerRestarts() throws {
        let cluster = try PostgresCluster(fsync: false)
        defer { cluster.shutdown() }
        let url = try cluster.createDatabase("driver")
        let loop = try EventLoop()
        let connection = PostgresConnection(conninfo: url, loop: loop)
        var readies = 0
        var losses: [PostgresError] = []
        var pids: [String] = []
        var duringRestart: Result<[PostgresResult], PostgresError>?
        connection.onLost = { losses.append($0) }
        connection.onReady = {
            readies += 1
            connection.execute([PostgresStatement("SELECT pg_backend_pid()")]) { result in
                pids.append((try? result.get().first?.scalar()) ?? "?")
                guard readies == 1 else { return loop.stop() }
                // The loop waits here while the server restarts: its connection is gone when it resumes.
                #expect(throws: Never.self) { try cluster.restart() }
                connection.execute([PostgresStatement("SELECT 1")]) { result in duringRestart = result }
            }
        }
        connection.connect()
        try run(loop, seconds: 60)
        #expect(readies == 2, "ready again after the restart")
        #expect(!losses.isEmpty, "the loss was reported")
        if case .success = duringRestart { Issue.record("a statement on the dead connection succeeded") }
        #expect(pids.count == 2 && pids[0] != pids[1], "a new server process: \(pids)")
        connection.close()
    }

    @Test func replicasStartingTogetherMigrateOnceAndANewerSchemaIsRefused() throws {
        let cluster = try PostgresCluster(fsync: false)
        defer { cluster.shutdown() }
        let url = try cluster.createDatabase("schema")
        let outcomes = NSLock()
        nonisolated(unsafe) var errors: [String] = []
        let group = DispatchGroup()
        for _ in 0..<4 {
            group.enter()
            Thread {
                do {
                    _ = try PostgresLedgerStore(url: url).open()
                } catch {
                    outcomes.withLock { errors.append("\(error)") }
                }
                group.leave()
            }.start()
        }
        #expect(group.wait(timeout: .now() + 60) == .success)
        #expect(outcomes.withLock { errors }.isEmpty, "\(errors)")
        #expect(try cluster.query("SELECT count(*), max(version) FROM quotad_schema_migrations", database: "schema") == "2|2")
        #expect(try cluster.query("SELECT revision, commit_seq FROM quotad_meta", database: "schema") == "0|0")

        _ = try cluster.query("INSERT INTO quotad_schema_migrations (version, description) VALUES (99, 'from the future')", database: "schema")
        do {
            _ = try PostgresLedgerStore(url: url).open(waitSeconds: 1)
            Issue.record("a schema newer than this quotad's was accepted")
        } catch {
            #expect("\(error)".contains("newer than this quotad's"), "\(error)")
        }
    }

    @Test(arguments: [
        ("postgres://quotad:s3cret@db:5432/quotad", "postgres://quotad@db:5432/quotad"),
        ("postgresql://u:p@h/d?sslmode=require&password=x", "postgresql://u@h/d?sslmode=require"),
        ("postgres://u@h/d?password=x", "postgres://u@h/d"),
        ("postgres://h:5/d", "postgres://h:5/d"),
    ])
    func urlsAreLoggedWithoutTheirPassword(url: String, shown: String) {
        #expect(PostgresLedgerStore.redacting(url) == shown)
        #expect(PostgresLedgerStore(url: url).description == shown)
    }
}
