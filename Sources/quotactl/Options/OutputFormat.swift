import ArgumentParser

/// `-o`: a kubectl-like table, or quotad's result as JSON or YAML.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, yaml
}
