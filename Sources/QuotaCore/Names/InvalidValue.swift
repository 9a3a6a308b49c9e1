/// A value that breaks a syntax or range rule, with the reason in words.
///
/// Validating initialisers in QuotaCore throw it without knowing which request field the value came
/// from; the JSON-RPC layer wraps it into a -32602 error that names the field.
public struct InvalidValue: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the value, e.g. `must be a DNS-1123 label (got "A_b")`.
    public let reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
