import ArgumentParser

/// `quotactl pool delete POOL`: deletePool.
struct PoolDeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a pool (deletePool).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The pool.")
    var pool: String

    func run() throws {
        let result = try global.connect().call("deletePool", ["pool": .string(pool)], context: "pool delete \(pool)")
        try Printer.emit(result, global.output) { "pool \(pool) deleted (revision \(Views.text(result["revision"])))\n" }
    }
}
