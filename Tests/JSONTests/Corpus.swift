import Foundation
import Testing

/// The JSONTestSuite subset in /work/shared/fixtures/json-test-suite, found relative
/// to this file: Tests/JSONTests/ -> ../../../shared (the repository's sibling folder).
enum Corpus {
    struct File: Sendable, CustomStringConvertible {
        let name: String
        let bytes: [UInt8]
        var description: String { name }
    }

    static func directory(_ filePath: String = #filePath) -> URL {
        URL(fileURLWithPath: filePath)
            .deletingLastPathComponent()
            .appendingPathComponent("../../../shared/fixtures/json-test-suite")
            .standardizedFileURL
    }

    /// All `.json` files whose names start with `prefix`, sorted. Fails the calling
    /// test loudly when the folder is missing or holds fewer files than expected.
    static func files(prefix: String, atLeast minimum: Int) throws -> [File] {
        let dir = directory()
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        } catch {
            Issue.record("JSON test suite missing at \(dir.path): \(error)")
            throw error
        }
        let files = try names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".json") }.sorted().map { name in
            File(name: name, bytes: [UInt8](try Data(contentsOf: dir.appendingPathComponent(name))))
        }
        try #require(files.count >= minimum, "expected at least \(minimum) \(prefix) files in \(dir.path), found \(files.count)")
        return files
    }
}
