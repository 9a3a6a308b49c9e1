internal import CLibpq

/// A connection used synchronously, only at start-up before the event loop runs (migrations and
/// the first load), through `PQconnectdb` and `PQexecParams`.
final class BlockingSession {
    private let connection: OpaquePointer

    /// Connects.
    /// - Throws: ``PostgresError/connection(_:)`` with libpq's reason.
    init(conninfo: String) throws(PostgresError) {
        guard let connection = PQconnectdb(conninfo) else { throw .connection("out of memory") }
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
