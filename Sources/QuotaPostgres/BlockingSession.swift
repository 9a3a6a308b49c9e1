internal import CLibpq

/// A connection used synchronously, only at start-up before the event loop runs (migrations and
/// the first load), through `PQconnectdb` and `PQexecParams`.
final class BlockingSession {
    private let connection: OpaquePointer

    /// Connects, waiting at most `connectTimeoutSeconds` (libpq's `connect_timeout`) for the
    /// server: one that accepts the connection and never answers (a stalled server, a proxy whose
    /// backend is down) would otherwise hold quotad's start-up forever. A `connect_timeout` in the
    /// URL wins.
    /// - Throws: ``PostgresError/connection(_:)`` with libpq's reason.
    init(conninfo: String, connectTimeoutSeconds: Int) throws(PostgresError) {
        // Keywords are processed in order and the expanded URL comes last, so its own values win.
        let opened = ConnectionParameters.withArrays([
            (keyword: "connect_timeout", value: String(connectTimeoutSeconds)), (keyword: "dbname", value: conninfo),
        ]) { keywords, values in PQconnectdbParams(keywords, values, 1) }
        guard let connection = opened else { throw .connection("out of memory") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection)).trimmed
            PQfinish(connection)
            throw .connection(message)
        }
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        self.connection = connection
    }

    deinit { PQfinish(connection) }

    /// Runs one statement and waits for its result.
    /// - Throws: ``PostgresError`` as the server or libpq reported it.
    @discardableResult
    func execute(_ statement: PostgresStatement) throws(PostgresError) -> PostgresResult {
        let result: OpaquePointer? = statement.parameters.isEmpty
            // The simple protocol, so that a migration may hold several statements.
            ? PQexec(connection, statement.sql)
            : statement.withCParameters { values, count in PQexecParams(connection, statement.sql, count, nil, values, nil, nil, 0) }
        return try PostgresResult.take(result, connection: connection).get()
    }
}
