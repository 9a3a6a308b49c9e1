/// Go's `time.ParseDuration` syntax, as kubectl's `--timeout` takes it: `15m`, `1h30m`, `90s`,
/// `1.5h`; units ns, us (µs), ms, s, m, h. Read by quotactl's `--ttl` and quota-load's `--duration`.
public enum GoDuration {
    /// Nanoseconds per unit.
    public static let units: [String: Int64] = [
        "ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
        "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
    ]

    /// Parses a duration.
    /// - Parameter text: e.g. `15m` or `1h30m`.
    /// - Returns: the duration in nanoseconds.
    /// - Throws: ``InvalidValue`` naming the text and what is wrong with it.
    public static func nanoseconds(_ text: String) throws(InvalidValue) -> Int64 {
        func fail(_ reason: String) -> InvalidValue { InvalidValue("invalid duration \"\(text)\": \(reason)") }
        if text == "0" { return 0 }
        var rest = Substring(text)
        guard !rest.isEmpty else { throw fail("empty") }
        if rest.first == "-" { throw fail("must not be negative") }
        if rest.first == "+" { rest = rest.dropFirst() }
        var total: Int64 = 0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            rest = rest.dropFirst(unit.count)
            guard !number.isEmpty, number.filter({ $0 == "." }).count <= 1, number != "." else { throw fail("expected a number") }
            guard !unit.isEmpty else { throw fail("missing unit (use ns, us, ms, s, m or h)") }
            guard let scale = units[String(unit)] else { throw fail("unknown unit \"\(unit)\" (use ns, us, ms, s, m or h)") }
            let parts = number.split(separator: ".", omittingEmptySubsequences: false)
            let whole = parts[0].isEmpty ? 0 : Int64(parts[0])
            guard let whole else { throw fail("out of range") }
            var fraction: Int64 = 0
            if parts.count == 2 {
                // Exact: digits beyond nanosecond precision are dropped, as Go does.
                var divisor: Int64 = 1
                for digit in parts[1] where divisor < scale {
                    divisor *= 10
                    fraction = fraction * 10 + Int64(digit.wholeNumberValue!)
                }
                fraction = fraction * (scale / divisor)
            }
            let (product, overflow) = whole.multipliedReportingOverflow(by: scale)
            let (sum, overflow2) = total.addingReportingOverflow(product)
            let (withFraction, overflow3) = sum.addingReportingOverflow(fraction)
            guard !overflow, !overflow2, !overflow3 else { throw fail("out of range") }
            total = withFraction
        }
        return total
    }
}
