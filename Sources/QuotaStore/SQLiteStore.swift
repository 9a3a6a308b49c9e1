#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSQLite
import QuotaCore

/// The default store: an embedded SQLite database, `quotad.sqlite` under the data directory,
/// through SQLite's C API.
///
/// - Durability: WAL journal with `synchronous=FULL`, so a commit returns only after its WAL frames
///   are fsynced. One transaction per loop pass (group commit).
/// - Exclusion: an exclusive `flock` on `quotad.lock` in the data directory; a second quotad on the
///   same directory fails to open instead of writing beside the first.
/// - Identity: the database carries `PRAGMA application_id` = 0x51554F54 ("QUOT") and a schema
///   version in `user_version`; a foreign or corrupt file is refused with its path in the message.
public final class SQLiteStore: LedgerStore {
    /// "QUOT", marking a database as quotad's.
    static let applicationID: Int32 = 0x5155_4F54
    /// The schema this build writes.
    static let schemaVersion: Int32 = 1

    /// The database file.
    public let path: String
    private let lockDescriptor: Int32
    private var db: OpaquePointer?
    private var statements = Statements()

    public var description: String { "sqlite:\(path)" }

    /// Opens (creating if needed) the database under `directory`, holding its lock until deinit.
    /// - Parameter directory: the data directory; created if missing.
    /// - Throws: ``StoreError/cannotOpen(_:)`` naming the path: the directory cannot be made, another
    ///   quotad holds the lock, or the file is not a quotad database.
    public init(directory: String) throws(StoreError) {
        if mkdir(directory, 0o750) != 0 && errno != EEXIST {
            throw .cannotOpen("cannot create data directory \(directory): \(Self.errnoText())")
        }
        let lockPath = directory + "/quotad.lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .cannotOpen("cannot open lock file \(lockPath): \(Self.errnoText())") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let reason = errno == EWOULDBLOCK ? "another quotad is using this data directory" : Self.errnoText()
            close(fd)
            throw .cannotOpen("cannot lock \(lockPath): \(reason)")
        }
        self.lockDescriptor = fd
        self.path = directory + "/quotad.sqlite"
        // On failure deinit runs (every property is set by now) and closes the database and the
        // lock file; closing them here too would close a number another thread may have reused.
        try openDatabase()
    }

    deinit {
        closeDatabase()
        close(lockDescriptor)
    }

    private func openDatabase() throws(StoreError) {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
            let detail = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw .cannotOpen("cannot open database \(path): \(detail)")
        }
        db = handle
        do {
            let appID = try scalar("PRAGMA application_id")
            let version = try scalar("PRAGMA user_version")
            let tables = try scalar("SELECT count(*) FROM sqlite_master")
            if tables > 0 && appID != Int64(Self.applicationID) {
                throw StoreError.cannotOpen("\(path) is not a quotad database (application_id \(appID)); move it away or choose another --data-dir")
            }
            if version > Int64(Self.schemaVersion) {
                throw StoreError.cannotOpen("\(path) has schema version \(version), newer than this quotad's \(Self.schemaVersion)")
            }
            guard try text("PRAGMA journal_mode=WAL") == "wal" else {
                throw StoreError.cannotOpen("cannot switch \(path) to WAL journal mode")
            }
            try execute("PRAGMA synchronous=FULL")
            try execute(Self.schema)
            try execute("PRAGMA application_id=\(Self.applicationID)")
            try execute("PRAGMA user_version=\(Self.schemaVersion)")
            try execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('revision', 0)")
        } catch let error as StoreError {
            throw error.asOpenError(path: path)
        } catch {
            throw .cannotOpen("cannot open database \(path): \(error)")
        }
    }

    private func closeDatabase() {
        statements.finalizeAll()
        if let db { sqlite3_close_v2(db) }
        db = nil
    }

    static let schema = """
        CREATE TABLE IF NOT EXISTS meta (
            key TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS pools (
            name TEXT PRIMARY KEY,
            capacity TEXT NOT NULL,
            max_leases INTEGER,
            base TEXT,
            labels TEXT NOT NULL,
            revision INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS leases (
            id TEXT PRIMARY KEY,
            pool TEXT NOT NULL,
            resources TEXT NOT NULL,
            holder TEXT NOT NULL,
            labels TEXT NOT NULL,
            state TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            ttl_seconds INTEGER NOT NULL,
            revision INTEGER NOT NULL,
            mod_revision INTEGER NOT NULL,
            ended_at INTEGER
        );
        """

    // MARK: LedgerStore

    public func load() throws(StoreError) -> StoredLedger {
        do {
            let revision = try scalar("SELECT value FROM meta WHERE key = 'revision'")
            var pools: [Pool] = []
            try query("SELECT name, capacity, max_leases, base, labels, revision FROM pools", table: "pools") { row in
                pools.append(try ColumnCoding.pool(from: row))
            }
            var leases: [Lease] = []
            try query("""
                SELECT id, pool, resources, holder, labels, state, created_at, expires_at, ttl_seconds,
                       revision, mod_revision, ended_at FROM leases
                """, table: "leases") { row in
                leases.append(try ColumnCoding.lease(from: row))
            }
            return StoredLedger(pools: pools, leases: leases, revision: revision)
        } catch let error as StoreError {
            throw error.asOpenError(path: path)
        } catch {
            throw .cannotOpen("cannot read \(path): \(error)")
        }
    }

    public func commit(_ changes: ChangeSet) throws(StoreError) {
        do {
            try execute("BEGIN IMMEDIATE")
        } catch {
            throw .unavailable("cannot begin a transaction on \(path): \(error)")
        }
        do {
            for (name, pool) in changes.pools {
                if let pool {
                    try run(statements.upsertPool(db), StoredRows.bindings(for: pool))
                } else {
                    try run(statements.deletePool(db), [.text(name.rawValue)])
                }
            }
            for (id, lease) in changes.leases {
                if let lease {
                    try run(statements.upsertLease(db), StoredRows.bindings(for: lease))
                } else {
                    try run(statements.deleteLease(db), [.text(id.rawValue)])
                }
            }
            try run(statements.setRevision(db), [.integer(changes.revision)])
            try execute("COMMIT")
        } catch {
            _ = try? execute("ROLLBACK")
            throw .unavailable("commit to \(path) failed: \(error)")
        }
    }

    // MARK: SQLite plumbing

    /// A value bound to a statement parameter.
    enum Binding {
        case text(String)
        case integer(Int64)
        case null
    }

    private func run(_ statement: OpaquePointer, _ bindings: [Binding]) throws(StoreError) {
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (offset, binding) in bindings.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch binding {
            case .text(let value): code = sqlite3_bind_text(statement, index, value, -1, Self.transient)
            case .integer(let value): code = sqlite3_bind_int64(statement, index, value)
            case .null: code = sqlite3_bind_null(statement, index)
            }
            guard code == SQLITE_OK else { throw .unavailable(errorMessage()) }
        }
        guard sqlite3_step(statement) == SQLITE_DONE else { throw .unavailable(errorMessage()) }
    }

    private func execute(_ sql: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(db, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? errorMessage()
            sqlite3_free(message)
            throw .unavailable(text)
        }
    }

    private func query(_ sql: String, table: String, _ each: (StoredRows.Row) throws -> Void) throws {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw StoreError.unavailable(errorMessage())
        }
        defer { sqlite3_finalize(statement) }
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw StoreError.unavailable(errorMessage()) }
            try each(StoredRows.Row(statement: statement, table: table))
        }
    }

    private func scalar(_ sql: String) throws(StoreError) -> Int64 {
        var result: Int64 = 0
        do {
            try query(sql, table: "query") { row in result = try row.integer(at: 0, "value") ?? 0 }
        } catch let error as StoreError {
            throw error
        } catch {
            throw .unavailable("\(error)")
        }
        return result
    }

    private func text(_ sql: String) throws(StoreError) -> String {
        var result = ""
        do {
            try query(sql, table: "query") { row in result = row.text(at: 0) ?? "" }
        } catch let error as StoreError {
            throw error
        } catch {
            throw .unavailable("\(error)")
        }
        return result
    }

    private func errorMessage() -> String {
        guard let db else { return "database is closed" }
        return String(cString: sqlite3_errmsg(db))
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    /// SQLITE_TRANSIENT: SQLite copies bound text before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Prepared statements for the commit path, prepared on first use and kept.
    private struct Statements {
        private var cache: [String: OpaquePointer] = [:]

        mutating func prepared(_ db: OpaquePointer?, _ sql: String) throws(StoreError) -> OpaquePointer {
            if let statement = cache[sql] { return statement }
            var statement: OpaquePointer?
            guard sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK, let statement else {
                throw .unavailable(db.map { String(cString: sqlite3_errmsg($0)) } ?? "database is closed")
            }
            cache[sql] = statement
            return statement
        }

        mutating func upsertPool(_ db: OpaquePointer?) throws(StoreError) -> OpaquePointer {
            try prepared(db, "INSERT OR REPLACE INTO pools(name, capacity, max_leases, base, labels, revision) VALUES (?, ?, ?, ?, ?, ?)")
        }

        mutating func deletePool(_ db: OpaquePointer?) throws(StoreError) -> OpaquePointer {
            try prepared(db, "DELETE FROM pools WHERE name = ?")
        }

        mutating func upsertLease(_ db: OpaquePointer?) throws(StoreError) -> OpaquePointer {
            try prepared(db, """
                INSERT OR REPLACE INTO leases(id, pool, resources, holder, labels, state, created_at, expires_at,
                    ttl_seconds, revision, mod_revision, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        }

        mutating func deleteLease(_ db: OpaquePointer?) throws(StoreError) -> OpaquePointer {
            try prepared(db, "DELETE FROM leases WHERE id = ?")
        }

        mutating func setRevision(_ db: OpaquePointer?) throws(StoreError) -> OpaquePointer {
            try prepared(db, "UPDATE meta SET value = ? WHERE key = 'revision'")
        }

        mutating func finalizeAll() {
            for statement in cache.values { sqlite3_finalize(statement) }
            cache = [:]
        }
    }
}

extension StoreError {
    /// The same failure, reported as a failure to open the database at `path`.
    func asOpenError(path: String) -> StoreError {
        switch self {
        case .cannotOpen: self
        case .unavailable(let detail): .cannotOpen("cannot open database \(path): \(detail)")
        }
    }
}
