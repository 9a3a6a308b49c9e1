#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import QuotaCore

/// quotad's clock: the wall clock read once at start-up, advanced by the monotonic clock.
///
/// Lease deadlines are absolute (they survive restarts), but while quotad runs they are measured
/// with CLOCK_MONOTONIC, so stepping the wall clock (NTP, an operator) neither expires leases early
/// nor keeps them alive late. A restart re-anchors to the wall clock of that moment.
public struct AnchoredClock: LedgerClock {
    private let wallAnchor: Int64
    private let monotonicAnchor: Int64

    public init() {
        wallAnchor = Self.read(CLOCK_REALTIME)
        monotonicAnchor = Self.read(CLOCK_MONOTONIC)
    }

    public func now() -> Timestamp {
        Timestamp(nanosecondsSinceEpoch: wallAnchor + (Self.read(CLOCK_MONOTONIC) - monotonicAnchor))
    }

    /// A POSIX clock in nanoseconds.
    static func read(_ clock: clockid_t) -> Int64 {
        var spec = timespec()
        clock_gettime(clock, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
