/// The PostgreSQL schema as numbered migrations, applied in order at start-up under an advisory
/// lock (``PostgresLedgerStore/open(url:)``), each in its own transaction and recorded in
/// `quotad_schema_migrations`, so that replicas starting together do not race and a database
/// written by a newer quotad is refused.
///
/// Never edit a migration that has shipped; add the next one.
enum PostgresSchema {
    /// One step of the schema.
    struct Migration {
        let version: Int
        let description: String
        let sql: String
    }

    /// The key of the advisory lock held while migrating: "QUOT" in ASCII.
    static let advisoryLockKey: Int64 = 0x5155_4F54

    /// Every migration, by version.
    static let migrations: [Migration] = [
        Migration(
            version: 1,
            description: "ledger tables: meta (global revision), pools, leases, tombstones",
            sql: """
                CREATE TABLE quotad_meta (
                    id integer PRIMARY KEY CHECK (id = 1),
                    revision bigint NOT NULL,
                    commit_seq bigint NOT NULL,
                    tombstone_horizon bigint NOT NULL
                );
                INSERT INTO quotad_meta (id, revision, commit_seq, tombstone_horizon) VALUES (1, 0, 0, 0);
                CREATE TABLE quotad_pools (
                    name text PRIMARY KEY,
                    capacity text NOT NULL,
                    max_leases bigint,
                    base text,
                    labels text NOT NULL,
                    revision bigint NOT NULL,
                    reserved text NOT NULL,
                    active_leases bigint NOT NULL,
                    commit_seq bigint NOT NULL
                );
                CREATE INDEX quotad_pools_commit_seq ON quotad_pools (commit_seq);
                CREATE TABLE quotad_leases (
                    id text PRIMARY KEY,
                    pool text NOT NULL,
                    resources text NOT NULL,
                    holder text NOT NULL,
                    labels text NOT NULL,
                    state text NOT NULL,
                    created_at bigint NOT NULL,
                    expires_at bigint NOT NULL,
                    ttl_seconds bigint NOT NULL,
                    revision bigint NOT NULL,
                    mod_revision bigint NOT NULL,
                    ended_at bigint,
                    commit_seq bigint NOT NULL
                );
                CREATE INDEX quotad_leases_commit_seq ON quotad_leases (commit_seq);
                CREATE TABLE quotad_tombstones (
                    kind text NOT NULL,
                    key text NOT NULL,
                    commit_seq bigint NOT NULL,
                    PRIMARY KEY (kind, key)
                );
                CREATE INDEX quotad_tombstones_commit_seq ON quotad_tombstones (commit_seq);
                """
        ),
        Migration(
            version: 2,
            description: "commit tokens: a replica notices a database that went back and went on",
            sql: """
                ALTER TABLE quotad_meta ADD COLUMN commit_token text NOT NULL DEFAULT '';
                CREATE TABLE quotad_commits (
                    commit_seq bigint PRIMARY KEY,
                    token text NOT NULL
                );
                """
        ),
    ]

    /// The newest version this build knows.
    static var latestVersion: Int { migrations.last?.version ?? 0 }
}
