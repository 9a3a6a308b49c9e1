import ArgumentParser
import JSON
import KubernetesManifests
import QuotaCore

/// `quotactl reserve -f vmi.yaml --cluster C [--ttl 15m] [--memory-overhead 240Mi] [--holder H] [--migration NAME]`.
struct ReserveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reserve",
        abstract: "Reserve migration headroom for VirtualMachineInstances (one reserve per VMI).",
        discussion: """
            lease = metadata.uid; pool = CLUSTER/metadata.namespace; labels vmName=metadata.name \
            (and migration=NAME). Resources: the VMI's limits as limits.cpu and limits.memory \
            (--memory-overhead added to memory), requests where limits are missing, restricted to \
            the resources the pool's base limits (all when it has no base). A manifest without \
            metadata.uid is refused: use the live object (kubectl get vmi NAME -o yaml).
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customShort("f"), help: "VirtualMachineInstance or List of them (YAML or JSON; - for stdin).")
    var file: String

    @Option(help: "The cluster: the pool is CLUSTER/<metadata.namespace>.")
    var cluster: String

    @Option(help: "The lease's TTL, a Go duration such as 15m or 1h30m (default: quotad's, 15m).")
    var ttl: String?

    @Option(help: "Bytes added to limits.memory, a quantity such as 240Mi (virt-launcher overhead).")
    var memoryOverhead: String?

    @Option(help: "The lease's holder, e.g. the controller's name.")
    var holder: String?

    @Option(help: "The migration's name, recorded as the lease label migration=NAME.")
    var migration: String?

    @Flag(help: "Check whether it would be granted without reserving (dryRun).")
    var dryRun = false

    func validate() throws {
        do {
            if let ttl { _ = try GoDuration.seconds(ttl) }
            if let memoryOverhead { _ = try FlagParsing.quantity(memoryOverhead, flag: "--memory-overhead") }
        } catch {
            throw ValidationError(error)
        }
    }

    func run() throws {
        let vmis = try ManifestFile.virtualMachineInstances(file)
        // Refuse before anything is sent: every VMI needs its UID and namespace.
        var pools: [String] = []
        for vmi in vmis {
            guard let uid = vmi.uid, !uid.isEmpty else { throw CommandFailure(ManifestError.missingUID(vmName: vmi.name).description) }
            pools.append(try Self.pool(of: vmi, cluster: cluster))
        }
        let overhead = try memoryOverhead.map { text throws(CommandFailure) in try FlagParsing.quantity(text, flag: "--memory-overhead") } ?? .zero
        let connection = try global.connect()

        // The bases of the pools involved, in one batch.
        let distinct = Array(Set(pools)).sorted()
        var bases: [String: ResourceList] = [:]
        for (pool, outcome) in zip(distinct, try connection.batch(distinct.map { ("inspect", ["pool": .string($0)]) })) {
            switch outcome {
            case .success(let result): bases[pool] = try Self.resourceList(result["pool"]?["base"], field: "\(pool) base")
            case .failure(let error): throw CommandFailure("reserve in pool \(pool): \(Connection.describe(error))")
            }
        }

        var plans: [Reservation] = []
        for (vmi, pool) in zip(vmis, pools) {
            do {
                let plan = try vmi.reservation(cluster: cluster, base: bases[pool] ?? .empty, memoryOverhead: overhead)
                plan.notices.forEach(notice)
                plans.append(plan)
            } catch {
                throw CommandFailure(error.description)
            }
        }

        var calls: [(method: String, params: JSONObject)] = []
        for plan in plans {
            var labels: JSONObject = ["vmName": .string(plan.vmName)]
            if let migration { labels.append("migration", .string(migration)) }
            var params: JSONObject = [
                "pool": .string(plan.pool), "lease": .string(plan.lease),
                "resources": .object(JSONObject(plan.resources.sorted.map { ($0.name.rawValue, JSONValue.string($0.quantity.description)) })),
                "labels": .object(labels),
            ]
            if let ttl { params.append("ttlSeconds", JSONValue(try GoDuration.seconds(ttl))) }
            if let holder { params.append("holder", .string(holder)) }
            if dryRun { params.append("dryRun", true) }
            calls.append(("reserve", params))
        }
        let outcomes = try connection.batch(calls)
        var granted: [JSONValue] = []
        var failures = 0
        for (plan, outcome) in zip(plans, outcomes) {
            switch outcome {
            case .success(let result): granted.append(result)
            case .failure(let error):
                failures += 1
                reportError("reserve \(plan.vmName) (lease \(plan.lease)) in pool \(plan.pool): \(Connection.describe(error))")
            }
        }
        if !granted.isEmpty {
            try Printer.emit(vmis.count == 1 ? granted[0] : .array(granted), global.output) { Self.table(granted) }
        }
        if failures > 0 {
            throw CommandFailure("\(failures) of \(plans.count) reservations failed")
        }
    }

    static func pool(of vmi: VirtualMachineInstance, cluster: String) throws(CommandFailure) -> String {
        do { return try vmi.pool(cluster: cluster) } catch { throw CommandFailure(error.description) }
    }

    /// A ResourceList from quotad's JSON (quantity texts).
    static func resourceList(_ value: JSONValue?, field: String) throws(CommandFailure) -> ResourceList {
        var result = ResourceList()
        for (name, amount) in value?.objectValue?.members ?? [] {
            do {
                result[try ResourceName(name)] = try Quantity(parsing: amount.stringValue ?? amount.numberValue?.text ?? "")
            } catch {
                throw CommandFailure("quotad sent a bad \(field) entry \(name): \(error)")
            }
        }
        return result
    }

    /// The granted leases, then each pool's new numbers (its last view).
    static func table(_ results: [JSONValue]) -> String {
        var leases = Table(headers: Views.leaseHeaders + ["DRYRUN"])
        var lastView: [String: JSONValue] = [:]
        var order: [String] = []
        for result in results {
            leases.add(Views.leaseRow(result["lease"] ?? .null) + [Views.text(result["dryRun"])])
            let name = Views.text(result["pool"]?["name"])
            if lastView[name] == nil { order.append(name) }
            lastView[name] = result["pool"]
        }
        return leases.rendered + "\n" + Views.poolTable(order.compactMap { lastView[$0] })
    }
}
