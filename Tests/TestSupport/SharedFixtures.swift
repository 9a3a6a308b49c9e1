import Foundation

/// The read-only fixtures that live beside the repository, in `../shared/fixtures/`.
public enum SharedFixtures {
    /// A fixture that is missing or smaller than expected; the message names the path.
    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    /// One JSONTestSuite file.
    public struct File: Sendable, CustomStringConvertible {
        public let name: String
        public let bytes: [UInt8]
        public var description: String { name }
    }

    /// `../shared/fixtures` beside the repository (from Tests/TestSupport/: ../../../shared).
    public static var directory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .appendingPathComponent("../../../shared/fixtures")
            .standardizedFileURL
    }

    /// The JSONTestSuite files whose names start with `prefix` (`y_`, `n_`, `i_`, or longer), sorted.
    /// - Parameters:
    ///   - prefix: the file-name prefix.
    ///   - minimum: how many there must be at least.
    /// - Throws: ``Missing`` naming the folder when it is absent or holds fewer files.
    public static func jsonTestSuite(prefix: String, atLeast minimum: Int) throws -> [File] {
        let folder = directory.appendingPathComponent("json-test-suite")
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw Missing(description: "JSON test suite missing at \(folder.path): \(error)")
        }
        let files = try names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".json") }.sorted().map { name in
            File(name: name, bytes: [UInt8](try Data(contentsOf: folder.appendingPathComponent(name))))
        }
        guard files.count >= minimum else {
            throw Missing(description: "expected at least \(minimum) \(prefix) files in \(folder.path), found \(files.count)")
        }
        return files
    }
}
