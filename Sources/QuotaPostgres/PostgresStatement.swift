#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One SQL statement with its parameters, sent through libpq's extended query protocol, so values
/// never become SQL text.
public struct PostgresStatement: Sendable {
    /// The SQL, with `$1`, `$2`, … for the parameters.
    public var sql: String
    /// Parameter values in PostgreSQL's text format; nil is SQL NULL.
    public var parameters: [String?]

    /// - Parameters:
    ///   - sql: the statement, parameters written `$1`, `$2`, ….
    ///   - parameters: their values as text (numbers in decimal); nil for NULL.
    public init(_ sql: String, _ parameters: [String?] = []) {
        self.sql = sql
        self.parameters = parameters
    }

    /// Calls `body` with the parameters as C strings (NULL for SQL NULL), valid only during the call,
    /// and their count: what `PQsendQueryParams` and `PQexecParams` take.
    func withCParameters<R>(_ body: (UnsafePointer<UnsafePointer<CChar>?>?, Int32) -> R) -> R {
        let values: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.flatMap { strdup($0) } }
        defer { values.forEach { free($0) } }
        let constants = values.map { $0.map { UnsafePointer($0) } }
        return constants.withUnsafeBufferPointer { buffer in
            body(constants.isEmpty ? nil : buffer.baseAddress, Int32(constants.count))
        }
    }
}
