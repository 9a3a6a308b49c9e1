internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A libevent `event_base`: the single-threaded event loop that drives timers,
/// triggers, signal handlers and ``HTTPServer``s.
///
/// ## Threading
/// An `EventLoop` and everything made from it (``EventTimer``, ``EventTrigger``,
/// ``HTTPServer``, ``HTTPResponder``) belong to one thread: the thread that calls
/// ``run()``. Create them on any thread *before* `run()` starts, then touch them only
/// from callbacks running on the loop. Nothing here takes a lock and libevent's own
/// locking (`evthread_use_pthreads`) is not enabled, so the types are deliberately not
/// `Sendable`.
///
/// ## Order of callbacks within one loop pass
/// All events use libevent's single default priority. A pass of `event_base_loop`
/// first polls (`epoll_wait`), activates every ready I/O event, expired timer and
/// caught signal, then runs the active queue in order until it is empty. Anything
/// activated *during* the pass (``EventTrigger/activate()``, ``stop()``, libevent's
/// internal deferred callbacks) is appended to the tail of that same queue, so it runs
/// after every callback that was already active, still within the same pass.
public final class EventLoop {
    /// The underlying `struct event_base *`; quota-load's evhttp client drives it directly.
    package let base: OpaquePointer
    /// Plain event activated by ``stop()``; its callback calls `event_base_loopbreak`.
    private var stopEvent: OpaquePointer?
    /// Signal handlers registered with ``onSignal(_:_:)``; freed with the loop.
    private var signalHandlers: [SignalHandler] = []
    /// True while ``run()`` is on the stack.
    public private(set) var isRunning = false

    /// Creates an event loop (`event_base_new_with_config`) and ignores `SIGPIPE` process-wide
    /// (`signal(SIGPIPE, SIG_IGN)`), so writing to a socket whose peer has gone away
    /// fails with `EPIPE` instead of killing the process.
    ///
    /// - Parameter preciseTimers: use a precise timer source (`EVENT_BASE_FLAG_PRECISE_TIMER`,
    ///   timerfd on Linux) instead of epoll's millisecond timeouts; a load generator's schedule needs it.
    /// - Throws: ``EventHTTPError/eventBaseUnavailable`` if libevent cannot create a base.
    public init(preciseTimers: Bool = false) throws(EventHTTPError) {
        _ = signal(SIGPIPE, SIG_IGN)
        let settings = event_config_new()
        defer { event_config_free(settings) }
        if preciseTimers { _ = event_config_set_flag(settings, Int32(EVENT_BASE_FLAG_PRECISE_TIMER.rawValue)) }
        guard let base = event_base_new_with_config(settings) else { throw .eventBaseUnavailable }
        self.base = base
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard let stopEvent = event_new(base, -1, 0, eventLoopStopCallback, context) else {
            event_base_free(base)
            throw .eventBaseUnavailable
        }
        self.stopEvent = stopEvent
    }

    deinit {
        for handler in signalHandlers { handler.free() }
        if let stopEvent { event_free(stopEvent) }
        event_base_free(base)
    }

    /// Runs the loop (`event_base_loop` with `EVLOOP_NO_EXIT_ON_EMPTY`) on the calling
    /// thread until ``stop()`` is called. The loop keeps running even when no event is
    /// registered.
    ///
    /// - Throws: ``EventHTTPError/loopAlreadyRunning`` when called re-entrantly from a
    ///   callback, ``EventHTTPError/loopFailed`` when libevent reports an error.
    public func run() throws(EventHTTPError) {
        guard !isRunning else { throw .loopAlreadyRunning }
        isRunning = true
        defer { isRunning = false }
        let result = event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY)
        if result < 0 { throw .loopFailed }
    }

    /// Asks ``run()`` to return.
    ///
    /// Activates a private plain event whose callback calls `event_base_loopbreak`, so
    /// every callback already active in the current pass (for example a pending
    /// ``EventTrigger``) still runs first; callbacks activated after `stop()` and I/O not
    /// yet polled do not. Callable from any loop callback (timer, trigger, signal
    /// handler, HTTP handler). Calling it while the loop is not running makes the next
    /// `run()` return at once. Loop thread only.
    public func stop() {
        guard let stopEvent else { return }
        event_active(stopEvent, Int32(EV_TIMEOUT), 0)
    }

    fileprivate func breakLoop() {
        _ = event_base_loopbreak(base)
    }

    /// Makes a one-shot timer (`evtimer_new`, i.e. `event_new` with no fd and no flags).
    ///
    /// The timer does nothing until ``EventTimer/schedule(afterSeconds:)`` is called.
    /// Keep a reference to the returned object: deallocating it cancels the timer
    /// (`event_free`). The body runs on the loop thread; capture the timer weakly in
    /// its own body to avoid a retain cycle.
    ///
    /// - Parameter body: Runs once each time the scheduled timeout expires.
    /// - Returns: The unscheduled timer.
    public func makeTimer(_ body: @escaping () -> Void) -> EventTimer {
        EventTimer(loop: self, body: body)
    }

    /// Makes an end-of-pass trigger: a plain event that is only ever activated by hand
    /// (`event_active`), never polled.
    ///
    /// Keep a reference to the returned object: deallocating it frees the event.
    ///
    /// - Parameter body: Runs on the loop thread after ``EventTrigger/activate()``.
    /// - Returns: The idle trigger.
    public func makeTrigger(_ body: @escaping () -> Void) -> EventTrigger {
        EventTrigger(loop: self, body: body)
    }

    /// Makes a watcher of a descriptor that another library owns (libpq's socket, say).
    ///
    /// It watches nothing until ``EventWatcher/watchReadable(_:)`` or
    /// ``EventWatcher/watchWritable(_:)`` turns it on. Keep a reference to it: deallocating it
    /// stops the watching. It never closes the descriptor.
    ///
    /// - Parameters:
    ///   - descriptor: the open socket.
    ///   - body: runs on the loop thread with what the descriptor became ready for.
    /// - Returns: the idle watcher.
    public func makeWatcher(descriptor: Int32, _ body: @escaping (EventWatcher.Readiness) -> Void) -> EventWatcher {
        EventWatcher(loop: self, descriptor: descriptor, body: body)
    }

    /// Runs `body` on the loop thread every time the process receives `signal`
    /// (`evsignal_new` + `event_add`, i.e. an `EV_SIGNAL|EV_PERSIST` event).
    ///
    /// libevent installs its own `sigaction` handler, which only writes to an internal
    /// socketpair; `body` runs later as a normal callback, so it may do anything a loop
    /// callback may do (stop the loop, close a server, reload). Several handlers for the
    /// same signal all run. In libevent only one `event_base` per process receives
    /// signals (the one that registered last). Handlers live as long as the loop, so
    /// capture the loop itself `unowned` or `weak` in `body`, or it is never freed.
    ///
    /// - Parameters:
    ///   - signal: The signal number, for example `SIGTERM`, `SIGINT`, `SIGHUP`.
    ///   - body: Runs once per delivery (deliveries arriving before it runs may be
    ///     coalesced by the kernel, as with any signal).
    public func onSignal(_ signal: Int32, _ body: @escaping () -> Void) {
        let handler = SignalHandler(body: body)
        let context = Unmanaged.passUnretained(handler).toOpaque()
        guard let event = event_new(base, signal, Int16(EV_SIGNAL | EV_PERSIST), signalHandlerCallback, context) else {
            fatalError("EventHTTP: event_new failed for signal \(signal)")
        }
        handler.event = event
        signalHandlers.append(handler)
        _ = event_add(event, nil)
        // A process inherits its parent's blocked-signal mask across exec (test runners and some
        // supervisors block SIGTERM); unblock the signal, or the handler would never run.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Seconds on the monotonic clock (`clock_gettime(CLOCK_MONOTONIC)`), with
    /// nanosecond resolution. Only differences are meaningful; unaffected by wall-clock
    /// changes.
    ///
    /// - Returns: The current monotonic time in seconds.
    public func monotonicNow() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1_000_000_000
    }
}

/// Box for a signal handler body; owned by the loop's `signalHandlers` array.
private final class SignalHandler {
    let body: () -> Void
    var event: OpaquePointer?
    init(body: @escaping () -> Void) { self.body = body }
    func free() {
        if let event { event_free(event) }
        event = nil
    }
}

private func eventLoopStopCallback(_ fd: Int32, _ what: Int16, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    Unmanaged<EventLoop>.fromOpaque(context).takeUnretainedValue().breakLoop()
}

private func signalHandlerCallback(_ fd: Int32, _ what: Int16, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    let handler = Unmanaged<SignalHandler>.fromOpaque(context).takeUnretainedValue()
    handler.body()
}

/// Converts non-negative seconds to a `timeval` (negative and NaN become zero).
func makeTimeval(seconds: Double) -> timeval {
    let clamped = seconds.isFinite ? max(0, seconds) : 0
    let whole = clamped.rounded(.down)
    var micros = ((clamped - whole) * 1_000_000).rounded()
    var secs = whole
    if micros >= 1_000_000 { secs += 1; micros -= 1_000_000 }
    return timeval(tv_sec: Int(min(secs, Double(Int32.max))), tv_usec: Int(micros))
}
