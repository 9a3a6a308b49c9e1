internal import CLibevent

/// Readiness of a socket someone else owns, such as libpq's connection to PostgreSQL: two libevent
/// events on the descriptor, one for readable and one for writable, each turned on and off by hand.
///
/// Made by ``EventLoop/makeWatcher(descriptor:_:)``. Loop thread only; turning interest on or off is
/// allowed inside the body (`event_add`/`event_del`). The watcher never closes the descriptor;
/// deallocating it frees both events, which stops the watching.
public final class EventWatcher {
    private let loop: EventLoop
    private let body: (_ readiness: Readiness) -> Void
    private var readEvent: OpaquePointer?
    private var writeEvent: OpaquePointer?
    /// The descriptor watched.
    public let descriptor: Int32

    /// What the descriptor became ready for.
    public enum Readiness: Sendable {
        /// It can be read, or the peer closed it.
        case readable
        /// It can be written.
        case writable
    }

    init(loop: EventLoop, descriptor: Int32, body: @escaping (_ readiness: Readiness) -> Void) {
        self.loop = loop
        self.descriptor = descriptor
        self.body = body
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard let read = event_new(loop.base, descriptor, Int16(EV_READ | EV_PERSIST), eventWatcherCallback, context),
              let write = event_new(loop.base, descriptor, Int16(EV_WRITE | EV_PERSIST), eventWatcherCallback, context)
        else {
            fatalError("EventHTTP: event_new failed for descriptor \(descriptor)")
        }
        readEvent = read
        writeEvent = write
    }

    deinit {
        if let readEvent { event_free(readEvent) }
        if let writeEvent { event_free(writeEvent) }
    }

    /// Calls the body with ``Readiness/readable`` on every loop pass while the descriptor is
    /// readable (true), or stops doing so (false).
    public func watchReadable(_ on: Bool) { toggle(readEvent, on) }

    /// Calls the body with ``Readiness/writable`` on every loop pass while the descriptor is
    /// writable (true), or stops doing so (false).
    public func watchWritable(_ on: Bool) { toggle(writeEvent, on) }

    /// Stops watching both; the descriptor stays open.
    public func stop() {
        toggle(readEvent, false)
        toggle(writeEvent, false)
    }

    private func toggle(_ event: OpaquePointer?, _ on: Bool) {
        guard let event else { return }
        _ = on ? event_add(event, nil) : event_del(event)
    }

    fileprivate func fire(_ what: Int16) {
        if what & Int16(EV_READ) != 0 { body(.readable) }
        if what & Int16(EV_WRITE) != 0 { body(.writable) }
    }
}

private func eventWatcherCallback(_ fd: Int32, _ what: Int16, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    let watcher = Unmanaged<EventWatcher>.fromOpaque(context).takeUnretainedValue()
    watcher.fire(what)
}
