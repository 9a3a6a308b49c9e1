import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The store the integration tests' quotad runs on: SQLite, unless `QUOTAD_TEST_STORE=postgres`
/// (scripts/test's second pass runs the behaviour suites that way, issue #9). A test that passes
/// its own `--store` keeps it.
enum TestStore: String {
    case sqlite
    case postgres

    static let current = TestStore(rawValue: ProcessInfo.processInfo.environment["QUOTAD_TEST_STORE"] ?? "sqlite") ?? .sqlite

    /// The `--store` flag for a quotad on `dataDirectory`: none for SQLite; for PostgreSQL a
    /// database of the shared test server named after the directory, so that a quotad restarted on
    /// the same directory finds its ledger again.
    static func arguments(for dataDirectory: URL) throws -> [String] {
        switch current {
        case .sqlite: return []
        case .postgres: return ["--store", try SharedPostgres.url(for: dataDirectory)]
        }
    }
}

/// The PostgreSQL server that every quotad of a `QUOTAD_TEST_STORE=postgres` run shares: started
/// on first use (as the tests start every server they need), stopped when the test process exits.
enum SharedPostgres {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cluster: PostgresCluster?
    nonisolated(unsafe) private static var databases: [String: String] = [:]

    /// The URL of the database for a data directory, created on first use.
    static func url(for dataDirectory: URL) throws -> String {
        try lock.withLock {
            let name = "q_" + dataDirectory.lastPathComponent.lowercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber) }.suffix(48)
            if let url = databases[name] { return url }
            if cluster == nil {
                // Speed over durability across a machine crash; see PostgresCluster.init(fsync:).
                cluster = try PostgresCluster(fsync: false)
                atexit { SharedPostgres.shutdown() }
            }
            let url = try cluster!.createDatabase(name)
            databases[name] = url
            return url
        }
    }

    private static func shutdown() {
        lock.withLock { cluster?.shutdown() }
    }
}
