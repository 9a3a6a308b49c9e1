internal import CLibevent

/// A one-shot libevent timer whose body runs on the loop. Loop thread only.
final class LoopTimer {
    private var event: OpaquePointer?
    private let body: () -> Void

    init(base: OpaquePointer, body: @escaping () -> Void) {
        self.body = body
        event = event_new(base, -1, 0, loopTimerCallback, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit { if let event { event_free(event) } }

    /// Runs the body once, `nanoseconds` from now (replacing any pending deadline).
    func schedule(afterNanoseconds nanoseconds: UInt64) {
        guard let event else { return }
        var delay = timeval(tv_sec: Int(nanoseconds / 1_000_000_000), tv_usec: Int(nanoseconds % 1_000_000_000 / 1_000))
        _ = event_add(event, &delay)
    }

    /// Cancels a pending run.
    func cancel() {
        if let event { _ = event_del(event) }
    }

    fileprivate func fire() { body() }
}

private func loopTimerCallback(_ fd: Int32, _ what: Int16, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    Unmanaged<LoopTimer>.fromOpaque(context).takeUnretainedValue().fire()
}
