/// What one server of a run answered: the figures of the connections that went to it.
public struct ServerResult: Sendable {
    /// The server.
    public var server: ServerAddress
    /// How many connections (virtual controllers) sent to it.
    public var connections: Int
    /// Its answers' latencies (nanoseconds), counts and errors.
    public var statistics: LoadStatistics

    public init(server: ServerAddress, connections: Int, statistics: LoadStatistics) {
        self.server = server
        self.connections = connections
        self.statistics = statistics
    }
}
