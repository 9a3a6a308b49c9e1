internal import CLibevent

/// An end-of-pass trigger: a plain libevent event (no fd, no timeout) that is only ever
/// activated by hand with `event_active`.
///
/// Made by ``EventLoop/makeTrigger(_:)``. Loop thread only. The trigger holds its loop
/// alive; deallocating it frees the event.
///
/// ## Ordering (libevent 2.1, single priority)
/// ``activate()`` appends the event to the tail of the loop's active queue. The current
/// pass keeps running that queue until it is empty, so the body runs **in the same
/// pass**, after every callback that was already active when `activate()` was called —
/// in particular after all I/O callbacks (HTTP requests read) activated by this pass's
/// poll — and before callbacks activated later in the pass. Activations before the body
/// runs collapse into one run. Activating from inside the body (or after it ran) queues
/// one more run at the end of the same pass.
///
/// This is what a group commit needs: every request handler that runs in one pass calls
/// `activate()`; the body runs once after all of them, commits, and replies.
public final class EventTrigger {
    private let loop: EventLoop
    private let body: () -> Void
    private var event: OpaquePointer?

    init(loop: EventLoop, body: @escaping () -> Void) {
        self.loop = loop
        self.body = body
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard let event = event_new(loop.base, -1, 0, eventTriggerCallback, context) else {
            fatalError("EventHTTP: event_new failed for a trigger")
        }
        self.event = event
    }

    deinit {
        if let event { event_free(event) }
    }

    /// Queues one run of the body at the end of the current loop pass (`event_active`).
    /// If the trigger is already queued this does nothing. Called while the loop is not
    /// running, the body runs early in the next pass of ``EventLoop/run()``.
    public func activate() {
        guard let event else { return }
        event_active(event, Int32(EV_TIMEOUT), 0)
    }

    /// True between ``activate()`` and the start of the body's run (`event_pending`).
    public var isActivated: Bool {
        guard let event else { return false }
        return event_pending(event, Int16(EV_TIMEOUT), nil) != 0
    }

    fileprivate func fire() { body() }
}

private func eventTriggerCallback(_ fd: Int32, _ what: Int16, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    let trigger = Unmanaged<EventTrigger>.fromOpaque(context).takeUnretainedValue()
    trigger.fire()
}
