import TestSupport

/// The JSONTestSuite subset in ../shared/fixtures/json-test-suite beside the repository.
enum Corpus {
    /// The files whose names start with `prefix`; fails the calling test, naming the folder, when
    /// the corpus is missing.
    static func files(prefix: String, atLeast minimum: Int) throws -> [SharedFixtures.File] {
        try SharedFixtures.jsonTestSuite(prefix: prefix, atLeast: minimum)
    }
}
