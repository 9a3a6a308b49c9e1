/// A point in time: nanoseconds since the Unix epoch, UTC.
///
/// The ledger compares timestamps from an injected ``LedgerClock``; it never reads a clock itself.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var nanosecondsSinceEpoch: Int64

    public init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    /// This time plus whole seconds.
    /// - Parameter seconds: seconds to add; may be negative.
    /// - Returns: the later (or earlier) time.
    public func adding(seconds: Int64) -> Timestamp {
        Timestamp(nanosecondsSinceEpoch: nanosecondsSinceEpoch &+ seconds &* 1_000_000_000)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }

    /// RFC 3339 in UTC with microseconds, as Kubernetes writes a MicroTime: `2026-11-29T12:00:00.000000Z`.
    public var rfc3339: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(27)
        appendRFC3339(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends ``rfc3339``'s text to `bytes`, digit by digit (it is on every lease's answer).
    /// - Parameter bytes: The buffer to append to.
    public func appendRFC3339(to bytes: inout [UInt8]) {
        let seconds = nanosecondsSinceEpoch.floorDivided(by: 1_000_000_000)
        let micros = (nanosecondsSinceEpoch - seconds * 1_000_000_000) / 1_000
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        appendPadded(year, 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendPadded(month, 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendPadded(day, 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendPadded(secondOfDay / 3600, 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay % 3600 / 60, 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay % 60, 2, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        appendPadded(micros, 6, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
    }

    public var description: String { rfc3339 }

    /// Proleptic Gregorian date of a day count, after Howard Hinnant's `civil_from_days`.
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}

/// `value` in decimal, zero-padded on the left to `width` digits; a negative value or one wider
/// than `width` is written as it is (no timestamp within Int64 nanoseconds has either).
private func appendPadded(_ value: Int64, _ width: Int, to bytes: inout [UInt8]) {
    var divisor: Int64 = 1
    for _ in 1..<width { divisor *= 10 }
    guard value >= 0, value < divisor * 10 else {
        bytes.append(contentsOf: String(value).utf8)
        return
    }
    var rest = value
    while divisor > 0 {
        bytes.append(UInt8(ascii: "0") &+ UInt8(rest / divisor))
        rest %= divisor
        divisor /= 10
    }
}

extension Int64 {
    /// Division rounding toward negative infinity.
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
