/// How ``StructuredLogHandler`` writes a line (`--log-format`).
public enum LogFormat: String, Sendable, CaseIterable {
    /// One JSON object per line: `{"time":…,"level":…,"event":…,…,"msg":…}`.
    case json
    /// One logfmt line: `time=… level=… event=… key=value … msg="…"`.
    case text
}
