#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// A swift-log handler that writes every event as one ``LogLine`` (JSON or logfmt text) with a
/// single `write(2)`, by default to standard error, unbuffered, so a supervisor sees each line at
/// once and lines of concurrent writers never interleave within a line.
///
/// Install it once per process:
///
///     LoggingSystem.bootstrap { _ in StructuredLogHandler(format: .json, level: .info) }
public struct StructuredLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    /// JSON or text.
    public let format: LogFormat
    private let output: @Sendable ([UInt8]) -> Void
    private let clock: @Sendable () -> Int64

    /// - Parameters:
    ///   - format: JSON or text lines.
    ///   - level: the least severe level written.
    ///   - output: receives each line with its newline; standard error by default.
    ///   - clock: the wall clock in nanoseconds since the epoch; `CLOCK_REALTIME` by default.
    public init(
        format: LogFormat, level: Logger.Level,
        output: @escaping @Sendable ([UInt8]) -> Void = StructuredLogHandler.writeToStandardError,
        clock: @escaping @Sendable () -> Int64 = StructuredLogHandler.wallClock
    ) {
        self.format = format
        self.logLevel = level
        self.output = output
        self.clock = clock
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let extra = event.metadata {
            // Most lines carry only the event's own fields: then there is nothing to merge.
            if fields.isEmpty { fields = extra } else { fields.merge(extra) { _, new in new } }
        }
        if let error = event.error { fields["error"] = .string("\(error)") }
        output(LogLine.render(
            format: format, nanosecondsSinceEpoch: clock(), level: event.level,
            message: event.message.description, metadata: fields
        ))
    }

    /// Writes all of `line` to standard error, retrying on `EINTR` and short writes.
    @Sendable public static func writeToStandardError(_ line: [UInt8]) {
        line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// `CLOCK_REALTIME` in nanoseconds since the epoch.
    @Sendable public static func wallClock() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
