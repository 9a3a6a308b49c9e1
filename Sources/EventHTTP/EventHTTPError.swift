#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors thrown by the EventHTTP module.
///
/// Every case carries enough text to be logged as-is; ``description`` renders it.
public enum EventHTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `event_base_new()` returned `NULL` (out of memory or no usable backend).
    case eventBaseUnavailable
    /// `EventLoop.run()` was called while the loop was already running.
    case loopAlreadyRunning
    /// `event_base_loop()` reported an internal error (returned -1).
    case loopFailed
    /// A ``HTTPServer/Configuration`` value is out of range.
    case invalidConfiguration(String)
    /// The host could not be turned into a socket address (`getaddrinfo` failed).
    case invalidAddress(host: String, port: Int, reason: String)
    /// Creating, binding or listening on the socket for `host:port` failed.
    /// `errno` is the system error number and `message` its `strerror` text.
    case bindFailed(host: String, port: Int, errno: Int32, message: String)
    /// A libevent object (evhttp, listener, event) could not be created.
    case setupFailed(String)

    public var description: String {
        switch self {
        case .eventBaseUnavailable:
            return "cannot create a libevent event_base"
        case .loopAlreadyRunning:
            return "the event loop is already running"
        case .loopFailed:
            return "the libevent event loop failed"
        case .invalidConfiguration(let what):
            return "invalid HTTP server configuration: \(what)"
        case .invalidAddress(let host, let port, let reason):
            return "cannot resolve \(EventHTTPError.endpoint(host, port)): \(reason)"
        case .bindFailed(let host, let port, let errno, let message):
            return "cannot listen on \(EventHTTPError.endpoint(host, port)): \(message) (errno \(errno))"
        case .setupFailed(let what):
            return "libevent setup failed: \(what)"
        }
    }

    /// `host:port`, with brackets around IPv6 literals.
    static func endpoint(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// `strerror` text for an errno value.
    static func errnoText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
