import Foundation
import KubernetesManifests

/// Reads manifest files named by `-f`.
enum ManifestFile {
    /// The file's text; `-` reads standard input.
    /// - Throws: ``CommandFailure`` naming the path.
    static func text(_ path: String) throws(CommandFailure) -> String {
        if path == "-" {
            return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CommandFailure("cannot read \(path): \((error as NSError).localizedDescription)")
        }
    }

    /// The VirtualMachineInstances in a file.
    /// - Throws: ``CommandFailure`` with the manifest's problem.
    static func virtualMachineInstances(_ path: String) throws(CommandFailure) -> [VirtualMachineInstance] {
        let text = try text(path)
        do {
            return try VirtualMachineInstance.all(in: text, source: path)
        } catch {
            throw CommandFailure(error.description)
        }
    }
}

/// Writes a notice to standard error.
func notice(_ text: String) {
    FileHandle.standardError.write(Data("notice: \(text)\n".utf8))
}

/// Writes an error line to standard error (for failures of single calls in a batch).
func reportError(_ text: String) {
    FileHandle.standardError.write(Data("Error: \(text)\n".utf8))
}
