import ArgumentParser
import JSON

/// `quotactl pool set POOL --capacity … [--max-leases N] [--base …] [--label k=v …]`: setPool.
struct PoolSetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Create a pool or replace its capacity, base and max leases (setPool).",
        discussion: "The pool's labels are kept unless --label is given."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The pool, e.g. c1 or c1/team-a.")
    var pool: String

    @Option(help: "Migration headroom, e.g. limits.cpu=8,limits.memory=32Gi.")
    var capacity: String

    @Option(help: "The ResourceQuota's own hard limits, e.g. limits.cpu=3,limits.memory=5000Mi.")
    var base: String?

    @Option(help: "Most active leases at once.")
    var maxLeases: Int?

    @Option(name: .customLong("label"), help: "A pool label KEY=VALUE (repeatable); replaces all labels.")
    var labels: [String] = []

    func validate() throws {
        do {
            _ = try FlagParsing.resourceList(capacity, flag: "--capacity")
            if let base { _ = try FlagParsing.resourceList(base, flag: "--base") }
            _ = try FlagParsing.labels(labels, flag: "--label")
        } catch {
            throw ValidationError(error)
        }
        if let maxLeases, maxLeases < 0 { throw ValidationError("--max-leases: \(maxLeases) must not be negative") }
    }

    func run() throws {
        let connection = try global.connect()
        var params: JSONObject = ["pool": .string(pool), "capacity": .object(try FlagParsing.resourceList(capacity, flag: "--capacity"))]
        if let maxLeases { params.append("maxLeases", JSONValue(maxLeases)) }
        if let base { params.append("base", .object(try FlagParsing.resourceList(base, flag: "--base"))) }
        if !labels.isEmpty {
            params.append("labels", .object(try FlagParsing.labels(labels, flag: "--label")))
        } else if let existing = try connection.callAllowingMissingPool("inspect", ["pool": .string(pool)]),
                  case .object(let kept)? = existing["pool"]?["labels"], !kept.isEmpty {
            params.append("labels", .object(kept))
        }
        let result = try connection.call("setPool", params, context: "pool set \(pool)")
        try Printer.emit(result, global.output) { Views.poolTable([result["pool"] ?? .null]) }
    }
}
