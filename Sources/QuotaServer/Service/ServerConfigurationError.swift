/// A combination of flags quotad refuses to start with; the message says what to change.
public struct ServerConfigurationError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
