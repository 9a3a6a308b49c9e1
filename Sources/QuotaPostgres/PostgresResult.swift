internal import CLibpq

/// The outcome of one statement, copied out of libpq's `PGresult` (which is then freed).
public struct PostgresResult: Sendable {
    /// The rows, each a list of column values in text format; nil is SQL NULL.
    public var rows: [[String?]]
    /// The command tag, e.g. `UPDATE 1`.
    public var commandStatus: String

    /// The one value of a one-row, one-column result.
    /// - Throws: ``PostgresError/unexpected(_:)`` when the result has another shape or is NULL.
    public func scalar() throws(PostgresError) -> String {
        guard rows.count == 1, rows[0].count == 1, let value = rows[0][0] else {
            throw .unexpected("expected one value, got \(rows.count) row(s)")
        }
        return value
    }

    /// ``scalar()`` read as a 64-bit integer.
    /// - Throws: ``PostgresError/unexpected(_:)`` when it is not one integer.
    public func integer() throws(PostgresError) -> Int64 {
        let text = try scalar()
        guard let value = Int64(text) else { throw .unexpected("expected an integer, got \(text)") }
        return value
    }

    /// Copies a result and frees it (`PQclear`).
    /// - Parameters:
    ///   - result: the result; nil means libpq ran out of memory or lost the connection.
    ///   - connection: for the error message when `result` is nil.
    /// - Returns: the copy, or the error the server or libpq reported.
    static func take(_ result: OpaquePointer?, connection: OpaquePointer?) -> Result<PostgresResult, PostgresError> {
        guard let result else {
            return .failure(.connection(connection.map { String(cString: PQerrorMessage($0)) }?.trimmed ?? "no result"))
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            var rows: [[String?]] = []
            let rowCount = PQntuples(result)
            let columnCount = PQnfields(result)
            rows.reserveCapacity(Int(rowCount))
            for row in 0..<rowCount {
                var values: [String?] = []
                values.reserveCapacity(Int(columnCount))
                for column in 0..<columnCount {
                    values.append(PQgetisnull(result, row, column) != 0 ? nil : String(cString: PQgetvalue(result, row, column)))
                }
                rows.append(values)
            }
            return .success(PostgresResult(rows: rows, commandStatus: String(cString: PQcmdStatus(result))))
        case PGRES_PIPELINE_ABORTED:
            return .failure(.server(sqlState: nil, message: "not run: an earlier statement of the pipeline failed"))
        default:
            let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = String(cString: PQresultErrorMessage(result)).trimmed
            return .failure(.server(sqlState: sqlState, message: message.isEmpty ? String(cString: PQresStatus(PQresultStatus(result))) : message))
        }
    }
}

extension String {
    /// Without trailing newlines and spaces (libpq's messages end in a newline).
    var trimmed: String {
        var text = Substring(self)
        while let last = text.last, last == "\n" || last == " " { text.removeLast() }
        return String(text)
    }
}
