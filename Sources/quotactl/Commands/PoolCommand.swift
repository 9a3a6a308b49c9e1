import ArgumentParser

/// `quotactl pool set|delete|import`.
struct PoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool",
        abstract: "Create, change, delete or import pools.",
        subcommands: [PoolSetCommand.self, PoolDeleteCommand.self, PoolImportCommand.self]
    )
}
