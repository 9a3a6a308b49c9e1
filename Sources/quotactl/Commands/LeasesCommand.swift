import ArgumentParser

/// `quotactl leases POOL`: the active leases of a pool and the pools below it.
struct LeasesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "leases", abstract: "List a pool's active leases (those of its children too).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The pool.")
    var pool: String

    func run() throws {
        let result = try global.connect().call("inspect", ["pool": .string(pool), "includeLeases": true], context: "leases \(pool)")
        try Printer.emit(result["leases"] ?? .array([]), global.output) { Views.leaseTable(result["leases"]?.arrayValue ?? []) }
    }
}
