/// Why a tokens file was refused: the reason names the entry and field, e.g.
/// `principals[1].role: must be admin, controller or reader (got "root")`. It never contains a token.
public struct TokensFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
