import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the real quotactl binary once, from the repository's root (so fixture paths are written
/// as in the README: ../shared/fixtures/kubernetes/…), and collects its exit status and output.
struct QuotactlProcess {
    struct Outcome: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String

        /// stdout parsed as JSON (for `-o json`).
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(stdout.utf8), options: [.fragmentsAllowed]) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }

        var description: String { "status \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
    }

    /// The quotactl binary: $QUOTACTL_BIN, else `quotactl` beside quotad.
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["QUOTACTL_BIN"] { return URL(fileURLWithPath: path) }
        return ExternalCommand.builtProduct("quotactl")
    }

    /// The repository's root.
    static var repositoryRoot: URL { ExternalCommand.repositoryRoot }

    /// Runs quotactl with `arguments` and waits at most `timeout` seconds for it to end.
    /// - Parameters:
    ///   - environment: variables set on top of this process's environment (QUOTA_SERVER and
    ///     QUOTA_TOKEN are removed unless given here).
    /// - Throws: ``HarnessError`` when it cannot start or does not end in time (it is killed).
    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 60) throws -> Outcome {
        var variables: [String: String?] = ["QUOTA_SERVER": nil, "QUOTA_TOKEN": nil]
        for (name, value) in environment { variables[name] = value }
        let output = try ExternalCommand.run([binary.path] + arguments, in: repositoryRoot, environment: variables, timeout: timeout)
        return Outcome(status: output.status, stdout: output.text, stderr: output.standardError)
    }
}

extension QuotadProcess {
    /// This server's URL, for quotactl's --server.
    var url: String { "http://127.0.0.1:\(port)" }

    /// Runs quotactl against this server.
    func quotactl(_ arguments: String...) throws -> QuotactlProcess.Outcome {
        try QuotactlProcess.run(arguments + ["--server", url])
    }

    /// Runs quotactl against this server and requires exit status 0.
    func quotactlOK(_ arguments: String...) throws -> QuotactlProcess.Outcome {
        let outcome = try QuotactlProcess.run(arguments + ["--server", url])
        guard outcome.status == 0 else { throw HarnessError("quotactl \(arguments.joined(separator: " ")) failed: \(outcome)") }
        return outcome
    }
}

/// Writes manifests for one test into a temporary folder.
struct ManifestScratch {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("quotactl-manifests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` and returns the absolute path.
    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// A running VMI as `kubectl get vmi -o yaml` prints it (uid nil: a creation manifest).
    func vmi(name: String, namespace: String, uid: String?, cpu: String, memory: String) throws -> String {
        try write("\(name).yaml", """
            apiVersion: kubevirt.io/v1
            kind: VirtualMachineInstance
            metadata:
              name: \(name)
              namespace: \(namespace)
            \(uid.map { "  uid: \($0)\n" } ?? "")spec:
              domain:
                resources:
                  limits:
                    cpu: \(cpu)
                    memory: \(memory)
            """)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}
