internal import CLibevent

/// A one-shot timer on an ``EventLoop`` (a libevent `evtimer`).
///
/// Made by ``EventLoop/makeTimer(_:)``. Loop thread only. The timer holds its loop
/// alive; deallocating the timer frees the event (`event_free`), which cancels it.
public final class EventTimer {
    private let loop: EventLoop
    private let body: () -> Void
    private var event: OpaquePointer?

    init(loop: EventLoop, body: @escaping () -> Void) {
        self.loop = loop
        self.body = body
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard let event = event_new(loop.base, -1, 0, eventTimerCallback, context) else {
            fatalError("EventHTTP: event_new failed for a timer")
        }
        self.event = event
    }

    deinit {
        if let event { event_free(event) }
    }

    /// Schedules the body to run once, `seconds` from now (`evtimer_add`).
    ///
    /// Re-scheduling a pending timer replaces its deadline (libevent's `event_add` on a
    /// pending event reschedules it). Calling this from the timer's own body schedules
    /// the next run.
    ///
    /// - Parameter seconds: Delay in seconds; negative or non-finite values mean "as
    ///   soon as possible" (the next loop pass). libevent's resolution is a microsecond.
    public func schedule(afterSeconds seconds: Double) {
        guard let event else { return }
        var tv = makeTimeval(seconds: seconds)
        _ = event_add(event, &tv)
    }

    /// Cancels a pending run (`evtimer_del`). Does nothing if the timer is not pending.
    public func cancel() {
        guard let event else { return }
        _ = event_del(event)
    }

    /// True while the timer is scheduled and has not fired yet (`evtimer_pending`).
    /// False inside the body, unless the body re-scheduled it.
    public var isPending: Bool {
        guard let event else { return false }
        return event_pending(event, Int16(EV_TIMEOUT), nil) != 0
    }

    fileprivate func fire() { body() }
}

private func eventTimerCallback(_ fd: Int32, _ what: Int16, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    // A strong local reference keeps the timer alive while its body runs, even if the
    // body drops the last outside reference.
    let timer = Unmanaged<EventTimer>.fromOpaque(context).takeUnretainedValue()
    timer.fire()
}
