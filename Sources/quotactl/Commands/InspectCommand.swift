import ArgumentParser
import JSON

/// `quotactl inspect [POOL [--vm-name NAME] | --lease ID] [-l selector]`.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show pools with totals, one pool with its children, or one lease.",
        discussion: """
            No POOL: all pools (or those matching -l, a Kubernetes label selector over pool labels \
            such as project=p-abc or cluster in (c1,c2)) and their totals. POOL: the pool and its \
            children. --lease ID or POOL --vm-name NAME: one lease.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The pool.")
    var pool: String?

    @Option(help: "Show this lease.")
    var lease: String?

    @Option(help: "With POOL: show the active lease labelled vmName=NAME.")
    var vmName: String?

    @Option(name: [.customShort("l"), .customLong("selector")], help: "Label selector over pool labels, e.g. project=p-abc.")
    var selector: String?

    func validate() throws {
        if pool != nil, lease != nil { throw ValidationError("give either POOL or --lease") }
        if selector != nil, pool != nil || lease != nil { throw ValidationError("-l selects among all pools; not with POOL or --lease") }
        if vmName != nil, pool == nil { throw ValidationError("--vm-name needs POOL") }
    }

    func run() throws {
        let connection = try global.connect()
        if let lease {
            let result = try connection.call("inspect", ["lease": .string(lease)], context: "inspect lease \(lease)")
            try Printer.emit(result, global.output) { Views.leaseTable([result["lease"] ?? .null]) }
        } else if let pool, let vmName {
            let result = try connection.call("inspect", ["pool": .string(pool), "vmName": .string(vmName)],
                                             context: "inspect \(pool) vmName \(vmName)")
            try Printer.emit(result, global.output) { Views.leaseTable([result["lease"] ?? .null]) }
        } else if let pool {
            let result = try connection.call("inspect", ["pool": .string(pool)], context: "inspect \(pool)")
            try Printer.emit(result, global.output) {
                Views.poolTable([result["pool"] ?? .null] + (result["children"]?.arrayValue ?? []).filter { $0.objectValue != nil })
            }
        } else {
            var params: JSONObject = [:]
            if let selector { params.append("labelSelector", .string(selector)) }
            let result = try connection.call("inspect", params, context: selector.map { "inspect -l \($0)" } ?? "inspect")
            try Printer.emit(result, global.output) {
                Views.poolTable(result["pools"]?.arrayValue ?? [], totals: result["totals"])
            }
        }
    }
}
