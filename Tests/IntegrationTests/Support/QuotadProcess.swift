import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The real quotad binary, started on a free loopback port for one test.
final class QuotadProcess {
    let process = Process()
    let dataDirectory: URL
    private(set) var port: Int = 0
    private let output = Pipe()
    /// quotad's stderr goes to a file, so a chatty server never blocks on a full pipe.
    let errorLog: URL
    /// The start of the `store=` the listening line must show, when the test store is not SQLite.
    private var expectedStore: String?

    /// The quotad binary: $QUOTAD_BIN, else `quotad` beside the test bundle in .build/<config>/.
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["QUOTAD_BIN"] { return URL(fileURLWithPath: path) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("quotad")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let fallback = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/quotad")
        return fallback
    }

    /// A fresh temporary data directory.
    static func makeDataDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quotad-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Starts quotad and waits for its "listening" line.
    /// - Parameters:
    ///   - dataDirectory: the store's directory (reuse one to test restarts).
    ///   - listen: the `--listen` address; a free loopback port by default.
    ///   - arguments: extra flags; without `--store`, the store is ``TestStore/current``.
    init(dataDirectory: URL = QuotadProcess.makeDataDirectory(), listen: String = "127.0.0.1:0", arguments: [String] = []) throws {
        self.dataDirectory = dataDirectory
        process.executableURL = Self.binary
        let store = arguments.contains("--store") ? [] : try TestStore.arguments(for: dataDirectory)
        expectedStore = store.isEmpty ? nil : "postgres://"
        process.arguments = ["--listen", listen, "--data-dir", dataDirectory.path] + store + arguments
        errorLog = dataDirectory.appendingPathComponent("quotad.stderr.log")
        _ = FileManager.default.createFile(atPath: errorLog.path, contents: nil)
        let errorHandle = try FileHandle(forWritingTo: errorLog)
        errorHandle.seekToEndOfFile()
        process.standardOutput = output
        process.standardError = errorHandle
        try process.run()
        try? errorHandle.close()
        port = try readPort()
    }

    /// Reads stdout until the "quotad listening on http://HOST:PORT" line, for at most 30 s.
    private func readPort() throws -> Int {
        // The child has its own copy of the write end; without closing ours, EOF never comes.
        try? output.fileHandleForWriting.close()
        let descriptor = output.fileHandleForReading.fileDescriptor
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            let count = read(descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            text += String(decoding: buffer[0..<count], as: UTF8.self)
            if let range = text.range(of: "listening on ").flatMap({ text.range(of: "://", range: $0.upperBound..<text.endIndex) }) {
                let rest = text[range.upperBound...]
                if let end = rest.firstIndex(of: " "), let colon = rest[..<end].lastIndex(of: ":"),
                   let port = Int(rest[rest.index(after: colon)..<end]) {
                    // A PostgreSQL pass must really run on PostgreSQL, not quietly on SQLite.
                    if let expected = expectedStore, !text.contains("store=\(expected)") {
                        throw HarnessError("quotad started on another store than \(expected): \(text)")
                    }
                    return port
                }
            }
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        throw HarnessError("quotad did not start (status \(process.terminationStatus)): \(standardError())")
    }

    /// Sends a signal and waits for the process to end.
    func stop(signal: Int32 = SIGTERM) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    /// What this run of quotad has written to stderr so far (the log accumulates over restarts
    /// on the same data directory).
    func standardError() -> String {
        (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// A client of this server.
    var client: RPCClient { RPCClient(port: port) }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
