import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a helper program (python3, chromium, openssl, curl, quotad to completion) for a test,
/// bounded in time.
enum ExternalCommand {
    struct Output {
        var status: Int32
        var standardOutput: Data
        var standardError: String
        var text: String { String(decoding: standardOutput, as: UTF8.self) }
    }

    /// Runs `arguments[0]` (looked up on PATH, or a path) with the rest as arguments, in
    /// `directory` when given, feeding `input` on standard input, and waits at most `timeout` seconds.
    /// - Throws: ``HarnessError`` when it cannot start or runs past the timeout (it is killed).
    static func run(_ arguments: [String], in directory: URL? = nil, input: Data = Data(), timeout: Double = 60) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
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
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw HarnessError("\(arguments.first ?? "?") ran longer than \(timeout) s and was killed")
        }
        process.waitUntilExit()
        _ = group.wait(timeout: .now() + 10)
        return Output(status: process.terminationStatus, standardOutput: box.out, standardError: String(decoding: box.err, as: UTF8.self))
    }
}
