import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One run of a command-line tool (quota-load, python3) to its end: exit status and output.
/// Output goes to files, so a chatty tool never blocks on a full pipe; the wait is bounded.
struct ToolRun {
    let status: Int32
    let standardOutput: String
    let standardError: String

    /// The executable `name` beside quotad (the same build folder).
    static func builtProduct(_ name: String) -> URL {
        QuotadProcess.binary.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// The repository's root (from Tests/IntegrationTests/Support/).
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Runs `executable` with `arguments` and waits at most `timeout` seconds (then SIGKILL).
    /// - Throws: ``HarnessError`` when it cannot start or does not end in time.
    init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
         currentDirectory: URL? = nil, timeout: Double = 60) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tool-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("stdout"), err = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw HarnessError("\(executable.lastPathComponent) \(arguments) did not end within \(timeout) s")
        }
        process.waitUntilExit()
        status = process.terminationStatus
        standardOutput = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        standardError = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
    }

    /// The output parsed as a JSON object (quota-load's `-o json`).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(standardOutput.utf8))) as? [String: Any] ?? [:]
    }
}
