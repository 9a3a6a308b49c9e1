/// The time source the ledger's callers use; injected so the core stays free of I/O.
///
/// quotad's clock is anchored to the wall clock at start-up and advanced by the monotonic clock, so a
/// wall-clock jump while quotad runs does not move lease expiry; tests use ``ManualClock``.
public protocol LedgerClock: Sendable {
    /// The current time.
    func now() -> Timestamp
}

/// A clock that only moves when told to; for tests and simulations.
public final class ManualClock: LedgerClock, @unchecked Sendable {
    // Not thread-safe by design: tests drive it from one thread, like the event loop drives the real one.
    private var current: Timestamp

    /// - Parameter start: the first time `now()` returns.
    public init(start: Timestamp = Timestamp(nanosecondsSinceEpoch: 1_800_000_000_000_000_000)) {
        self.current = start
    }

    public func now() -> Timestamp { current }

    /// Moves the clock forward.
    /// - Parameter seconds: how far, in seconds (fractions allowed).
    public func advance(seconds: Double) {
        current.nanosecondsSinceEpoch += Int64(seconds * 1_000_000_000)
    }
}
