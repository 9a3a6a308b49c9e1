import ArgumentParser
import JSON
import QuotaCore

/// `quotactl renew LEASE [--ttl 15m]`.
struct RenewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "renew", abstract: "Extend an active lease's TTL from now (renew).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The lease id.")
    var lease: String

    @Option(help: "The new TTL, a Go duration such as 15m (default: the lease's own TTL).")
    var ttl: String?

    func validate() throws {
        do {
            if let ttl { _ = try GoDuration.seconds(ttl) }
        } catch {
            throw ValidationError(error)
        }
    }

    func run() throws {
        var params: JSONObject = ["lease": .string(lease)]
        if let ttl { params.append("ttlSeconds", JSONValue(try GoDuration.seconds(ttl))) }
        let result = try global.connect().call("renew", params, context: "renew \(lease)")
        try Printer.emit(result, global.output) { Views.leaseTable([result["lease"] ?? .null]) }
    }
}
