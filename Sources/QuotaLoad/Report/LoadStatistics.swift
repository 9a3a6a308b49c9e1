import Histogram

/// What a run measured: latency per operation in HDR histograms (nanoseconds), answers and
/// errors by code, and the correctness violations seen in answers.
public struct LoadStatistics: Sendable {
    /// Latency of each call, per operation, in nanoseconds (a batch's calls share its request's latency).
    public var latency: [LoadOperation: Histogram<UInt64>] = [:]
    /// Latency of every HTTP request, in nanoseconds.
    public var requestLatency = LoadStatistics.makeHistogram()
    /// HTTP requests answered (any status).
    public var requests = 0
    /// Calls answered with a result.
    public var succeeded = 0
    /// Errors by key: a JSON-RPC code (`"1002"`), `"http <status>"`, `"transport"` (no answer)
    /// or `"protocol"` (an answer that is not the JSON-RPC response expected).
    public var errors: [String: Int] = [:]
    /// Answers that contradict what the controller was granted, e.g. a held lease released
    /// as not active (the first 20 are kept; ``violationCount`` counts all).
    public var violations: [String] = []
    /// How many violations were seen.
    public var violationCount = 0

    public init() {}

    /// A histogram from 1 ns to 10 minutes, 3 significant digits.
    static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000_000, numberOfSignificantValueDigits: .three)
    }

    /// Records one call's latency.
    mutating func record(_ operation: LoadOperation, nanoseconds: UInt64) {
        let value = Swift.min(Swift.max(nanoseconds, 1), 600_000_000_000)
        if latency[operation] == nil { latency[operation] = Self.makeHistogram() }
        _ = latency[operation]!.record(value)
    }

    /// Records one HTTP request's latency.
    mutating func recordRequest(nanoseconds: UInt64) {
        requests += 1
        _ = requestLatency.record(Swift.min(Swift.max(nanoseconds, 1), 600_000_000_000))
    }

    /// Counts an error under its key.
    mutating func count(error key: String, calls: Int = 1) {
        errors[key, default: 0] += calls
    }

    /// How many violation messages are kept (``violationCount`` counts all).
    static let violationsKept = 20

    /// Notes a violation.
    mutating func violation(_ message: String) {
        violationCount += 1
        if violations.count < Self.violationsKept { violations.append(message) }
    }

    /// Adds another run's figures to these: histograms, counts, errors and violations (the
    /// first 20 violations kept in all, as when recording).
    /// - Parameter other: figures of the same run measured apart, e.g. of another server.
    public mutating func add(_ other: LoadStatistics) {
        for (operation, histogram) in other.latency {
            if latency[operation] == nil { latency[operation] = Self.makeHistogram() }
            latency[operation]!.add(histogram)
        }
        requestLatency.add(other.requestLatency)
        requests += other.requests
        succeeded += other.succeeded
        for (key, count) in other.errors { errors[key, default: 0] += count }
        violations += other.violations.prefix(max(0, Self.violationsKept - violations.count))
        violationCount += other.violationCount
    }

    /// Several parts' figures added together.
    /// - Parameter parts: figures of one run measured apart.
    /// - Returns: their sum.
    public static func combined(_ parts: [LoadStatistics]) -> LoadStatistics {
        var all = LoadStatistics()
        for part in parts { all.add(part) }
        return all
    }

    /// All calls' latencies together.
    public var allCalls: Histogram<UInt64> {
        var all = Self.makeHistogram()
        for histogram in latency.values { all.add(histogram) }
        return all
    }
}
