import Histogram
import JSON

/// What one run measured and found, printable as text or JSON (`-o json`).
public struct LoadResult: Sendable {
    public var configuration: LoadConfiguration
    /// Seconds from the first request to the last answer.
    public var elapsedSeconds: Double
    /// The figures of all servers together.
    public var statistics: LoadStatistics
    /// The figures per server, in `--server` order; one entry with a single server.
    public var servers: [ServerResult]
    /// The end-of-run check, nil when checks were off (`--no-check`).
    public var check: CheckOutcome?

    /// True when no answer contradicted a grant and the end-of-run check passed (or was off)
    /// and no request went unanswered.
    public var passed: Bool {
        statistics.violationCount == 0 && (check?.passed ?? true) && statistics.errors["transport"] == nil
    }

    /// Calls answered per second, over all operations.
    public var callsPerSecond: Double { rate(statistics.allCalls.totalCount) }

    /// HTTP requests answered per second.
    public var requestsPerSecond: Double { rate(UInt64(statistics.requests)) }

    /// Makes a result.
    /// - Parameters:
    ///   - configuration: the run's configuration.
    ///   - elapsedSeconds: seconds from the first request to the last answer; every rate divides by it.
    ///   - statistics: the figures of all servers together.
    ///   - servers: the figures per server; empty means one server, whose figures are `statistics`.
    ///   - check: the end-of-run check, nil when checks were off.
    public init(configuration: LoadConfiguration, elapsedSeconds: Double, statistics: LoadStatistics,
                servers: [ServerResult] = [], check: CheckOutcome?) {
        self.configuration = configuration
        self.elapsedSeconds = elapsedSeconds
        self.statistics = statistics
        self.servers = servers.isEmpty
            ? [ServerResult(server: configuration.servers[0], connections: configuration.connections, statistics: statistics)]
            : servers
        self.check = check
    }

    private func rate(_ count: UInt64) -> Double {
        elapsedSeconds > 0 ? Double(count) / elapsedSeconds : 0
    }

    /// Names of the error codes quotad uses (README, "Errors").
    static let errorNames: [String: String] = [
        "-32700": "ParseError", "-32600": "InvalidRequest", "-32601": "MethodNotFound", "-32602": "InvalidParams",
        "-32603": "InternalError", "-32001": "StoreUnavailable", "1001": "PoolNotFound", "1002": "InsufficientHeadroom",
        "1003": "LeaseConflict", "1004": "LeaseNotActive", "1005": "LeaseNotFound", "1006": "PoolBusy",
        "1007": "RevisionMismatch", "1009": "Ambiguous",
    ]

    private func milliseconds(_ nanoseconds: UInt64) -> Double {
        (Double(nanoseconds) / 1_000).rounded() / 1_000
    }

    private func figures(_ histogram: Histogram<UInt64>) -> [(String, Double)] {
        [("p50", milliseconds(histogram.valueAtPercentile(50))), ("p90", milliseconds(histogram.valueAtPercentile(90))),
         ("p99", milliseconds(histogram.valueAtPercentile(99))), ("p99.9", milliseconds(histogram.valueAtPercentile(99.9))),
         ("max", milliseconds(histogram.max))]
    }

    private var rows: [(String, Histogram<UInt64>)] {
        statistics.latency.keys.sorted().map { ($0.rawValue, statistics.latency[$0]!) } + [("all", statistics.allCalls)]
    }

    private var mode: String {
        configuration.rate.map { "open loop at \(format($0)) requests/s" } ?? "closed loop"
    }

    private func format(_ value: Double, decimals: Int = 1) -> String {
        let scale = (0..<decimals).reduce(1.0) { value, _ in value * 10 }
        let rounded = (value * scale).rounded() / scale
        return decimals == 0 ? String(Int(rounded)) : String(rounded)
    }

    /// The human-readable report.
    public var text: String {
        let c = configuration
        let spread = c.servers.count > 1 ? " over \(c.servers.count) servers" : ""
        var lines = ["quota-load: \(c.connections) connections\(spread), \(format(elapsedSeconds, decimals: 2)) s, \(mode), "
            + "batch \(c.batch), mix \(c.mix), \(c.pools) pools under \(c.poolPrefix), seed \(c.seed)"]
        lines.append("requests: \(statistics.requests) (\(format(requestsPerSecond)) /s); calls: \(statistics.allCalls.totalCount) "
            + "(\(format(callsPerSecond)) /s), \(statistics.succeeded) with a result")
        func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        lines.append(["operation", "calls", "ops/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"]
            .enumerated().map { $0.offset == 0 ? $0.element.padding(toLength: 10, withPad: " ", startingAt: 0) : pad($0.element, 10) }
            .joined())
        for (name, histogram) in rows {
            var line = name.padding(toLength: 10, withPad: " ", startingAt: 0) + pad(String(histogram.totalCount), 10)
                + pad(format(rate(histogram.totalCount)), 10)
            for (_, value) in figures(histogram) { line += pad(String(value), 10) }
            lines.append(line)
        }
        lines.append("errors: " + errorList(statistics.errors))
        if servers.count > 1 {
            for part in servers {
                let all = part.statistics.allCalls
                lines.append("server \(part.server): \(part.connections) connections, \(all.totalCount) calls "
                    + "(\(format(rate(all.totalCount))) ops/s), p50 \(milliseconds(all.valueAtPercentile(50))) ms, "
                    + "p99 \(milliseconds(all.valueAtPercentile(99))) ms, errors: \(errorList(part.statistics.errors))")
            }
        }
        for violation in statistics.violations { lines.append("violation: \(violation)") }
        if let check {
            lines.append("check: \(check.passed ? "passed" : "FAILED") (\(check.pools) pools, \(check.leasesHeld) leases held, "
                + "\(check.releasedAfterCheck) released after the check)")
            for violation in check.violations { lines.append("check: \(violation)") }
        } else {
            lines.append("check: off (--no-check)")
        }
        return lines.joined(separator: "\n")
    }

    /// Error counts by code as a JSON object, codes in order.
    private func errorsJSON(_ errors: [String: Int]) -> JSONValue {
        var object = JSONObject()
        for (key, count) in errors.sorted(by: { $0.key < $1.key }) { object.append(key, JSONValue(count)) }
        return .object(object)
    }

    private func errorList(_ errors: [String: Int]) -> String {
        guard !errors.isEmpty else { return "none" }
        return errors.sorted { $0.key < $1.key }
            .map { "\($0.key)\(Self.errorNames[$0.key].map { " " + $0 } ?? "") \($0.value)" }.joined(separator: ", ")
    }

    /// The same figures as JSON, for scripts (`-o json`); latencies in milliseconds.
    public var json: JSONValue {
        let c = configuration
        var methods = JSONObject()
        for (name, histogram) in rows where name != "all" { methods.append(name, summary(histogram)) }
        var object = JSONObject()
        // The first server: the one the pools were set up through.
        object.append("server", .string(c.servers[0].description))
        object.append("connections", JSONValue(c.connections))
        object.append("durationSeconds", number(c.durationSeconds))
        object.append("elapsedSeconds", number(elapsedSeconds))
        object.append("rate", c.rate.map(number) ?? .null)
        object.append("batch", JSONValue(c.batch))
        object.append("mix", .string(c.mix.description))
        object.append("pools", JSONValue(c.pools))
        object.append("seed", .string(String(c.seed)))
        object.append("requests", JSONValue(statistics.requests))
        object.append("requestsPerSecond", number(requestsPerSecond))
        object.append("calls", JSONValue(Int(statistics.allCalls.totalCount)))
        object.append("callsPerSecond", number(callsPerSecond))
        object.append("succeeded", JSONValue(statistics.succeeded))
        object.append("methods", .object(methods))
        object.append("all", summary(statistics.allCalls))
        object.append("requestLatency", summary(statistics.requestLatency))
        object.append("errors", errorsJSON(statistics.errors))
        object.append("violations", .array(statistics.violations.map(JSONValue.string)))
        object.append("violationCount", JSONValue(statistics.violationCount))
        object.append("servers", .array(servers.map(serverJSON)))
        if let check {
            object.append("check", [
                "passed": .bool(check.passed), "pools": JSONValue(check.pools), "leasesHeld": JSONValue(check.leasesHeld),
                "releasedAfterCheck": JSONValue(check.releasedAfterCheck),
                "violations": .array(check.violations.map(JSONValue.string)),
            ])
        } else {
            object.append("check", .null)
        }
        object.append("passed", .bool(passed))
        return .object(object)
    }

    /// One server's part of the run: its connections, requests and calls with their rates (over
    /// the whole run's elapsed time), its latency summary (ms) and its errors by code.
    private func serverJSON(_ part: ServerResult) -> JSONValue {
        var object = JSONObject()
        object.append("server", .string(part.server.description))
        object.append("connections", JSONValue(part.connections))
        object.append("requests", JSONValue(part.statistics.requests))
        object.append("requestsPerSecond", number(rate(UInt64(part.statistics.requests))))
        object.append("calls", JSONValue(Int(part.statistics.allCalls.totalCount)))
        object.append("callsPerSecond", number(rate(part.statistics.allCalls.totalCount)))
        object.append("succeeded", JSONValue(part.statistics.succeeded))
        object.append("all", summary(part.statistics.allCalls))
        object.append("errors", errorsJSON(part.statistics.errors))
        object.append("violationCount", JSONValue(part.statistics.violationCount))
        return .object(object)
    }

    private func summary(_ histogram: Histogram<UInt64>) -> JSONValue {
        var object = JSONObject()
        object.append("calls", JSONValue(Int(histogram.totalCount)))
        object.append("opsPerSecond", number(rate(histogram.totalCount)))
        var latency = JSONObject()
        for (name, value) in figures(histogram) { latency.append(name, number(value)) }
        object.append("latencyMs", .object(latency))
        return .object(object)
    }

    private func number(_ value: Double) -> JSONValue {
        JSONNumber((value * 1000).rounded() / 1000).map(JSONValue.number) ?? .null
    }
}
