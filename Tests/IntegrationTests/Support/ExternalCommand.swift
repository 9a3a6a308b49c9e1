import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to its end for a test (python3, chromium, openssl, curl, quotactl, quota-load,
/// quotad), bounded in time. The one process runner of the integration tests.
enum ExternalCommand {
    struct Output: CustomStringConvertible {
        var status: Int32
        var standardOutput: Data
        var standardError: String
        /// Standard output as text.
        var text: String { String(decoding: standardOutput, as: UTF8.self) }
        /// Standard output parsed as a JSON object (`-o json`), empty when it is not one.
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: standardOutput)) as? [String: Any] ?? [:] }
        var description: String { "status \(status)\nstdout: \(text)\nstderr: \(standardError)" }
    }

    /// The repository's root (from Tests/IntegrationTests/Support/).
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// An executable of this package, beside quotad in the same build folder.
    static func builtProduct(_ name: String) -> URL {
        QuotadProcess.binary.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Runs `arguments[0]` (looked up on PATH, or a path) with the rest as arguments.
    /// - Parameters:
    ///   - directory: the working directory; this process's when nil.
    ///   - environment: variables set on top of this process's environment; nil removes one.
    ///   - input: fed on standard input.
    ///   - timeout: seconds before it is killed.
    /// - Throws: ``HarnessError`` when it cannot start or runs past the timeout (it is killed).
    static func run(
        _ arguments: [String], in directory: URL? = nil, environment: [String: String?] = [:],
        input: Data = Data(), timeout: Double = 60
    ) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var variables = ProcessInfo.processInfo.environment
        for (name, value) in environment { variables[name] = value }
        process.environment = variables
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Read both outputs on their own threads, so a chatty child never blocks on a full pipe.
        final class Box: @unchecked Sendable { var out = Data(); var err = Data() }
        let box = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { box.out = stdout.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { box.err = stderr.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        try? stdin.fileHandleForWriting.write(contentsOf: input)
        try? stdin.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            // Bounded too: Process may not see the end of a child whose own children keep the
            // descriptors it inherited open.
            let killed = Date().addingTimeInterval(10)
            while process.isRunning && Date() < killed { Thread.sleep(forTimeInterval: 0.01) }
            throw HarnessError("\(arguments.joined(separator: " ").prefix(200)) ran longer than \(timeout) s and was killed")
        }
        process.waitUntilExit()
        _ = group.wait(timeout: .now() + 10)
        return Output(status: process.terminationStatus, standardOutput: box.out, standardError: String(decoding: box.err, as: UTF8.self))
    }
}
