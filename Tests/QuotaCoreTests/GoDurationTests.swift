import QuotaCore
import Testing

/// Go's duration syntax (`time.ParseDuration`), shared by quotactl's `--ttl` and quota-load's `--duration`.
@Suite struct GoDurationTests {
    @Test(arguments: [
        ("15m", Int64(900_000_000_000)), ("1h30m", 5_400_000_000_000), ("1.5h", 5_400_000_000_000),
        ("90s", 90_000_000_000), ("500ms", 500_000_000), ("2us", 2_000), ("0", 0), ("+3ns", 3),
    ])
    func validDurations(text: String, nanoseconds: Int64) throws {
        #expect(try GoDuration.nanoseconds(text) == nanoseconds)
    }

    @Test(arguments: ["", "15x", "-1s", "10", "1.2.3s", "9999999999h", "h"])
    func invalidDurationsNameTheText(text: String) {
        do {
            _ = try GoDuration.nanoseconds(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.reason.hasPrefix("invalid duration \(String(reflecting: text))"))
        }
    }
}
