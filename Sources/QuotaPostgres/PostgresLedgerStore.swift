#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import JSON
import QuotaCore
import QuotaStore

/// The shared store of several quotad replicas (issue #9): the ledger's rows in PostgreSQL.
///
/// Every replica keeps a copy of the ledger and decides with the same pure core as the embedded
/// store, but only inside a transaction that first locks the ledger's one revision row
/// (`quotad_meta`, `SELECT … FOR UPDATE`) and catches up with every row committed since its copy
/// was last current. That lock is the global revision's serialization point and the fixed lock
/// order (it is always taken first and alone), so two replicas never decide on stale state, never
/// exceed a capacity together and never deadlock.
///
/// Rows carry `commit_seq`, the sequence number of the commit that wrote them; a deleted pool or a
/// forgotten lease leaves a tombstone with the same number. A replica asks for what is newer than
/// the last sequence it saw (``catchUpStatements(since:)``). Tombstones older than
/// ``tombstoneWindow`` commits are trimmed; a replica further behind reloads everything.
///
/// This type builds statements and reads rows; ``PostgresConnection`` sends them.
public final class PostgresLedgerStore {
    /// The libpq connection URI.
    public let url: String
    /// Commits after which a tombstone may be trimmed.
    public static let tombstoneWindow: Int64 = 100_000

    /// - Parameter url: `postgres://USER@HOST:PORT/DATABASE` (or `postgresql://`); the password
    ///   may be in it or, better, in `PGPASSWORD` or `~/.pgpass`.
    public init(url: String) {
        self.url = url
    }

    /// The URL without its password, for logs.
    public var description: String { Self.redacting(url) }

    /// `scheme://user:secret@host` → `scheme://user@host`; also drops a `password=` query parameter.
    public static func redacting(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url }
        var rest = String(url[schemeEnd.upperBound...])
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") {
            rest.removeSubrange(colon..<at)
        }
        if let query = rest.firstIndex(of: "?") {
            let parameters = rest[rest.index(after: query)...].split(separator: "&").filter { !$0.lowercased().hasPrefix("password=") }
            rest = String(rest[..<query]) + (parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&"))
        }
        return String(url[..<schemeEnd.upperBound]) + rest
    }

    // MARK: Start-up

    /// What a replica starts from.
    public struct Snapshot: Sendable {
        /// The ledger's rows and revision.
        public var stored: StoredLedger
        /// The last commit included.
        public var position: CommitPosition
        /// The database's clock when it was read.
        public var databaseNow: Timestamp
    }

    /// Connects synchronously (before the event loop runs), applies the migrations this database
    /// lacks under an advisory lock, and reads the whole ledger in one repeatable-read snapshot.
    ///
    /// A database that cannot be reached yet (starting beside quotad, restarting) is tried again
    /// with backoff (0.1 s doubling to 2 s) for up to `waitSeconds`.
    /// - Parameters:
    ///   - waitSeconds: how long to keep trying to connect, in seconds.
    ///   - onRetry: told each failed attempt's reason before the next.
    /// - Returns: the snapshot.
    /// - Throws: ``StoreError/cannotOpen(_:)`` naming the database: unreachable for `waitSeconds`,
    ///   refused, or written by a newer quotad.
    public func open(waitSeconds: Double = 30, onRetry: (String) -> Void = { _ in }) throws(StoreError) -> Snapshot {
        let deadline = Self.monotonicSeconds() + waitSeconds
        var backoff = 0.1
        var connected: BlockingSession?
        while connected == nil {
            do {
                let remaining = deadline - Self.monotonicSeconds()
                connected = try BlockingSession(conninfo: url, connectTimeoutSeconds: Int(min(10, max(2, remaining.rounded(.up)))))
            } catch {
                guard Self.monotonicSeconds() + backoff < deadline else {
                    throw .cannotOpen("cannot connect to \(description) within \(waitSeconds) s: \(error)")
                }
                onRetry("\(error)")
                var pause = timespec(tv_sec: Int(backoff), tv_nsec: Int((backoff - backoff.rounded(.down)) * 1e9))
                nanosleep(&pause, nil)
                backoff = min(backoff * 2, 2)
            }
        }
        let session = connected!
        try opening("cannot migrate") { () throws(PostgresError) in
            // The migration lock may be held by a replica stuck while migrating, or by another
            // program that chose the same key: give up after a while rather than wait silently forever.
            try session.execute(PostgresStatement("SET lock_timeout = '\(Self.startupLockTimeoutSeconds)s'"))
            try migrate(session)
        }
        let (meta, clock, pools, leases) = try opening("cannot read") { () throws(PostgresError) in
            try session.execute(PostgresStatement("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            let meta = try session.execute(Self.metaStatement(lock: .none))
            let clock = try session.execute(Self.clockStatement)
            let pools = try session.execute(Self.poolsStatement(since: 0))
            let leases = try session.execute(Self.leasesStatement(since: 0))
            try session.execute(PostgresStatement("COMMIT"))
            return (meta, clock, pools, leases)
        }
        let header = try Self.meta(meta)
        return Snapshot(
            stored: StoredLedger(pools: try Self.pools(pools), leases: try Self.leases(leases), revision: header.revision),
            position: header.position,
            databaseNow: try Self.timestamp(clock)
        )
    }

    /// Seconds start-up waits for a lock (the migration lock, a table another session locked).
    static let startupLockTimeoutSeconds = 30

    private static func monotonicSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Runs a start-up step, naming the database in its error.
    private func opening<T>(_ what: String, _ body: () throws(PostgresError) -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch {
            throw .cannotOpen("\(what) \(description): \(error)")
        }
    }

    private func migrate(_ session: BlockingSession) throws(PostgresError) {
        try session.execute(PostgresStatement("SELECT pg_advisory_lock($1)", [String(PostgresSchema.advisoryLockKey)]))
        defer { _ = try? session.execute(PostgresStatement("SELECT pg_advisory_unlock($1)", [String(PostgresSchema.advisoryLockKey)])) }
        try session.execute(PostgresStatement("""
            CREATE TABLE IF NOT EXISTS quotad_schema_migrations (
                version integer PRIMARY KEY,
                description text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """))
        let current = Int(try session.execute(PostgresStatement("SELECT coalesce(max(version), 0) FROM quotad_schema_migrations")).integer())
        if current > PostgresSchema.latestVersion {
            throw .unexpected("the schema is at version \(current), newer than this quotad's \(PostgresSchema.latestVersion)")
        }
        for migration in PostgresSchema.migrations where migration.version > current {
            try session.execute(PostgresStatement("BEGIN"))
            do {
                try session.execute(PostgresStatement(migration.sql))
                try session.execute(PostgresStatement(
                    "INSERT INTO quotad_schema_migrations (version, description) VALUES ($1, $2)",
                    [String(migration.version), migration.description]
                ))
                try session.execute(PostgresStatement("COMMIT"))
            } catch {
                _ = try? session.execute(PostgresStatement("ROLLBACK"))
                throw error
            }
        }
    }

    // MARK: A replica's transaction

    /// Settings of every replica's session, so that no replica waits forever on another: a
    /// replica that stops mid-transaction (paused, partitioned) holding the revision row is cut off
    /// by the server after `idle_in_transaction_session_timeout`, and one waiting for that row
    /// gives up after `lock_timeout` (its calls get -32001; the next pass tries again).
    public static let sessionStatements = [
        PostgresStatement("SET lock_timeout = '5s'"),
        PostgresStatement("SET idle_in_transaction_session_timeout = '5s'"),
        PostgresStatement("SET statement_timeout = '30s'"),
        PostgresStatement("SET application_name = 'quotad'"),
    ]

    /// A commit in the database's history: its sequence number and the random token it wrote.
    /// Two commits with one number but different tokens are from different histories: the
    /// database went back (restored from a backup, failed over to a standby that missed commits)
    /// and went on. Token "" stands for sequence 0 and for commits of schema version 1.
    public struct CommitPosition: Sendable, Equatable {
        public var sequence: Int64
        public var token: String

        public init(sequence: Int64, token: String) {
            self.sequence = sequence
            self.token = token
        }

        /// A fresh token: 128 random bits in hex.
        public static func newToken() -> String {
            var generator = SystemRandomNumberGenerator()
            return [generator.next(), generator.next()].map { (word: UInt64) in
                let hex = String(word, radix: 16)
                return String(repeating: "0", count: 16 - hex.count) + hex
            }.joined()
        }
    }

    /// The ledger's header row.
    public struct Meta: Sendable {
        public var revision: Int64
        /// The last commit.
        public var position: CommitPosition
        /// Tombstones of commits up to this one are trimmed.
        public var tombstoneHorizon: Int64
    }

    /// How a replica's transaction takes the revision row (`quotad_meta`).
    public enum RevisionLock: Sendable {
        /// `FOR UPDATE`: wait for it (up to the session's `lock_timeout`); for changes.
        case wait
        /// `FOR UPDATE SKIP LOCKED`: take it if free, else do nothing (``catchUp(_:since:)`` is
        /// nil); for expiry sweeps, which another replica's transaction may do instead, so that a
        /// sweep never makes this replica's calls wait.
        case skipIfBusy
        /// No lock: a read-only repeatable-read snapshot, for calls that only read (it also works
        /// on a read-only standby). Such a transaction must not be given ``commitStatements(_:at:)``.
        case none
    }

    /// Rows committed since a replica's last catch-up.
    public struct CatchUp: Sendable {
        public var meta: Meta
        /// The database's clock (`clock_timestamp()`) once the revision row was locked.
        public var databaseNow: Timestamp
        /// Changed rows; nil for a deleted pool or a forgotten lease.
        public var changes: ChangeSet
        /// True when the replica is too far behind (trimmed tombstones) or the database went back
        /// (restored from a backup, or failed over to a standby that missed commits), even if it
        /// went on past the replica's position since: reload everything with ``reloadStatements()``.
        public var needsReload: Bool
    }

    /// Opens a transaction, locks the revision row, reads the clock, everything committed after
    /// `position`, and the token the database holds for `position`'s commit. Decode the results
    /// with ``catchUp(_:since:)``.
    /// - Parameter lock: how the revision row is taken (``RevisionLock``).
    public func catchUpStatements(since position: CommitPosition, lock: RevisionLock = .wait) -> [PostgresStatement] {
        let sequence = position.sequence
        return [
            PostgresStatement(lock == .none ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN"),
            Self.metaStatement(lock: lock),
            Self.clockStatement,
            Self.poolsStatement(since: sequence),
            Self.leasesStatement(since: sequence),
            PostgresStatement("SELECT kind, key FROM quotad_tombstones WHERE commit_seq > $1", [String(sequence)]),
            PostgresStatement("SELECT token FROM quotad_commits WHERE commit_seq = $1", [String(sequence)]),
        ]
    }

    /// Reads the results of ``catchUpStatements(since:lock:)``.
    /// - Returns: nil when the revision row was busy under ``RevisionLock/skipIfBusy`` (the other
    ///   results are then not a consistent view: end the transaction and ignore them).
    /// - Throws: ``StoreError/unavailable(_:)`` when a row is not quotad's.
    public func catchUp(_ results: [PostgresResult], since position: CommitPosition) throws(StoreError) -> CatchUp? {
        let sequence = position.sequence
        guard results.count == 7 else { throw .unavailable("catch-up returned \(results.count) results") }
        // The one row of quotad_meta is missing only when SKIP LOCKED skipped it.
        if results[1].rows.isEmpty { return nil }
        let meta = try Self.meta(results[1])
        var changes = ChangeSet(pools: [:], leases: [:], revision: meta.revision)
        for pool in try Self.pools(results[3]) { changes.pools[pool.name] = .some(pool) }
        for lease in try Self.leases(results[4]) { changes.leases[lease.id] = .some(lease) }
        for row in results[5].rows {
            guard row.count == 2, let kind = row[0], let key = row[1] else { throw .unavailable("a tombstone row is incomplete") }
            switch kind {
            case "pool": changes.pools[try ColumnCoding.decode { () throws(InvalidValue) in try PoolPath(key) }] = .some(nil)
            case "lease": changes.leases[try ColumnCoding.decode { () throws(InvalidValue) in try LeaseID(key) }] = .some(nil)
            default: throw .unavailable("a tombstone has unknown kind \(kind)")
            }
        }
        // The commit this replica saw last must still be in the database's history.
        let recorded = results[6].rows.first?.first ?? nil
        let sameHistory = position.token.isEmpty || recorded == position.token
        return CatchUp(
            meta: meta, databaseNow: try Self.timestamp(results[2]), changes: changes,
            needsReload: meta.position.sequence < sequence || meta.tombstoneHorizon > sequence || !sameHistory
        )
    }

    /// Reads every pool and lease, inside the transaction ``catchUpStatements(since:)`` opened.
    public func reloadStatements() -> [PostgresStatement] {
        [Self.poolsStatement(since: 0), Self.leasesStatement(since: 0)]
    }

    /// Reads the results of ``reloadStatements()``.
    /// - Throws: ``StoreError/unavailable(_:)`` when a row is not quotad's.
    public func reload(_ results: [PostgresResult], revision: Int64) throws(StoreError) -> StoredLedger {
        guard results.count == 2 else { throw .unavailable("reload returned \(results.count) results") }
        return StoredLedger(pools: try Self.pools(results[0]), leases: try Self.leases(results[1]), revision: revision)
    }

    /// Writes a change set as commit `position`, moves the revision, trims old tombstones and
    /// commit tokens, and commits, all in the transaction ``catchUpStatements(since:lock:)`` opened.
    /// - Parameters:
    ///   - changes: the rows the replica's decisions changed.
    ///   - position: the last commit's sequence plus one, and a fresh token (``CommitPosition/newToken()``).
    public func commitStatements(_ changes: ChangeSet, at position: CommitPosition) -> [PostgresStatement] {
        let sequence = position.sequence
        let seq = String(sequence)
        var statements: [PostgresStatement] = []
        let upsertedPools = changes.pools.compactMap { $0.value }
        let deletedPools = changes.pools.filter { $0.value == nil }.map { JSONValue.string($0.key.rawValue) }
        let upsertedLeases = changes.leases.compactMap { $0.value }
        let forgottenLeases = changes.leases.filter { $0.value == nil }.map { JSONValue.string($0.key.rawValue) }
        if !upsertedPools.isEmpty {
            let rows = JSONValue.array(upsertedPools.map(Self.row))
            statements.append(PostgresStatement("""
                INSERT INTO quotad_pools (name, capacity, max_leases, base, labels, revision, reserved, active_leases, commit_seq)
                SELECT r.name, r.capacity, r.max_leases, r.base, r.labels, r.revision, r.reserved, r.active_leases, $2
                FROM json_to_recordset($1::json) AS r(name text, capacity text, max_leases bigint, base text, labels text,
                    revision bigint, reserved text, active_leases bigint)
                ON CONFLICT (name) DO UPDATE SET capacity = EXCLUDED.capacity, max_leases = EXCLUDED.max_leases,
                    base = EXCLUDED.base, labels = EXCLUDED.labels, revision = EXCLUDED.revision,
                    reserved = EXCLUDED.reserved, active_leases = EXCLUDED.active_leases, commit_seq = EXCLUDED.commit_seq
                """, [Self.text(rows), seq]))
            statements.append(Self.clearTombstones(kind: "pool", keys: upsertedPools.map { .string($0.name.rawValue) }))
        }
        if !deletedPools.isEmpty {
            statements.append(PostgresStatement("DELETE FROM quotad_pools WHERE name IN (SELECT json_array_elements_text($1::json))", [Self.text(.array(deletedPools))]))
            statements.append(Self.addTombstones(kind: "pool", keys: deletedPools, sequence: seq))
        }
        if !upsertedLeases.isEmpty {
            let rows = JSONValue.array(upsertedLeases.map(Self.row))
            statements.append(PostgresStatement("""
                INSERT INTO quotad_leases (id, pool, resources, holder, labels, state, created_at, expires_at, ttl_seconds,
                    revision, mod_revision, ended_at, commit_seq)
                SELECT r.id, r.pool, r.resources, r.holder, r.labels, r.state, r.created_at, r.expires_at, r.ttl_seconds,
                    r.revision, r.mod_revision, r.ended_at, $2
                FROM json_to_recordset($1::json) AS r(id text, pool text, resources text, holder text, labels text, state text,
                    created_at bigint, expires_at bigint, ttl_seconds bigint, revision bigint, mod_revision bigint, ended_at bigint)
                ON CONFLICT (id) DO UPDATE SET pool = EXCLUDED.pool, resources = EXCLUDED.resources, holder = EXCLUDED.holder,
                    labels = EXCLUDED.labels, state = EXCLUDED.state, created_at = EXCLUDED.created_at,
                    expires_at = EXCLUDED.expires_at, ttl_seconds = EXCLUDED.ttl_seconds, revision = EXCLUDED.revision,
                    mod_revision = EXCLUDED.mod_revision, ended_at = EXCLUDED.ended_at, commit_seq = EXCLUDED.commit_seq
                """, [Self.text(rows), seq]))
            statements.append(Self.clearTombstones(kind: "lease", keys: upsertedLeases.map { .string($0.id.rawValue) }))
        }
        if !forgottenLeases.isEmpty {
            statements.append(PostgresStatement("DELETE FROM quotad_leases WHERE id IN (SELECT json_array_elements_text($1::json))", [Self.text(.array(forgottenLeases))]))
            statements.append(Self.addTombstones(kind: "lease", keys: forgottenLeases, sequence: seq))
        }
        let horizon = String(max(0, sequence - Self.tombstoneWindow))
        statements.append(PostgresStatement("DELETE FROM quotad_tombstones WHERE commit_seq <= $1", [horizon]))
        statements.append(PostgresStatement("DELETE FROM quotad_commits WHERE commit_seq <= $1", [horizon]))
        statements.append(PostgresStatement(
            "INSERT INTO quotad_commits (commit_seq, token) VALUES ($1, $2) ON CONFLICT (commit_seq) DO UPDATE SET token = EXCLUDED.token",
            [seq, position.token]
        ))
        statements.append(PostgresStatement(
            "UPDATE quotad_meta SET revision = $1, commit_seq = $2, tombstone_horizon = GREATEST(tombstone_horizon, $3), commit_token = $4 WHERE id = 1",
            [String(changes.revision), seq, horizon, position.token]
        ))
        statements.append(PostgresStatement("COMMIT"))
        return statements
    }

    // MARK: Statements

    static func metaStatement(lock: RevisionLock) -> PostgresStatement {
        let clause = switch lock {
        case .wait: " FOR UPDATE"
        case .skipIfBusy: " FOR UPDATE SKIP LOCKED"
        case .none: ""
        }
        return PostgresStatement("SELECT revision, commit_seq, tombstone_horizon, commit_token FROM quotad_meta WHERE id = 1\(clause)")
    }

    /// The database's clock in microseconds since the epoch; `clock_timestamp()`, not `now()`, so
    /// that it is read after the lock is granted and moves forward with the lock's order.
    static let clockStatement = PostgresStatement("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint")

    static func poolsStatement(since sequence: Int64) -> PostgresStatement {
        PostgresStatement(
            "SELECT name, capacity, max_leases, base, labels, revision, reserved, active_leases FROM quotad_pools WHERE commit_seq > $1",
            [String(sequence)]
        )
    }

    static func leasesStatement(since sequence: Int64) -> PostgresStatement {
        PostgresStatement(
            "SELECT id, pool, resources, holder, labels, state, created_at, expires_at, ttl_seconds, revision, mod_revision, ended_at FROM quotad_leases WHERE commit_seq > $1",
            [String(sequence)]
        )
    }

    static func clearTombstones(kind: String, keys: [JSONValue]) -> PostgresStatement {
        PostgresStatement(
            "DELETE FROM quotad_tombstones WHERE kind = $1 AND key IN (SELECT json_array_elements_text($2::json))",
            [kind, text(.array(keys))]
        )
    }

    static func addTombstones(kind: String, keys: [JSONValue], sequence: String) -> PostgresStatement {
        PostgresStatement("""
            INSERT INTO quotad_tombstones (kind, key, commit_seq) SELECT $1, k, $3 FROM json_array_elements_text($2::json) AS k
            ON CONFLICT (kind, key) DO UPDATE SET commit_seq = EXCLUDED.commit_seq
            """, [kind, text(.array(keys)), sequence])
    }

    static func text(_ value: JSONValue) -> String {
        String(decoding: JSONWriter.serialize(value), as: UTF8.self)
    }
}
