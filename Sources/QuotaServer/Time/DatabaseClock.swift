#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import QuotaCore

/// The clock of a replica on PostgreSQL (issue #9): the database's `clock_timestamp()`, read in
/// every transaction, advanced between reads by this machine's monotonic clock. Deadlines are
/// then set and judged by one clock, whichever replica decides.
///
/// Loop thread only (``ReplicaCycle`` synchronizes it; the service reads it).
final class DatabaseClock: LedgerClock, @unchecked Sendable {
    private var databaseAnchor: Int64
    private var monotonicAnchor: Int64

    /// - Parameter databaseNow: the database's clock, just read.
    init(databaseNow: Timestamp) {
        databaseAnchor = databaseNow.nanosecondsSinceEpoch
        monotonicAnchor = Self.monotonic()
    }

    /// Takes a fresh reading of the database's clock.
    func synchronize(databaseNow: Timestamp) {
        databaseAnchor = databaseNow.nanosecondsSinceEpoch
        monotonicAnchor = Self.monotonic()
    }

    func now() -> Timestamp {
        Timestamp(nanosecondsSinceEpoch: databaseAnchor + (Self.monotonic() - monotonicAnchor))
    }

    private static func monotonic() -> Int64 {
        AnchoredClock.read(CLOCK_MONOTONIC)
    }
}
