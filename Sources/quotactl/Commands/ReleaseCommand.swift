import ArgumentParser
import JSON
import KubernetesManifests

/// `quotactl release (LEASE | -f vmi.yaml [--cluster C])`.
struct ReleaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Release leases: by id, or for the VirtualMachineInstances of a file.",
        discussion: """
            With -f, each VMI's lease is its metadata.uid; a VMI without a uid is released by \
            {pool: CLUSTER/metadata.namespace, vmName: metadata.name}, which needs --cluster. \
            Releasing a lease that is already released is not an error.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The lease id (a VMI UID).")
    var lease: String?

    @Option(name: .customShort("f"), help: "VirtualMachineInstance or List of them (YAML or JSON; - for stdin).")
    var file: String?

    @Option(help: "The cluster, for VMIs released by name.")
    var cluster: String?

    func validate() throws {
        guard (lease == nil) != (file == nil) else { throw ValidationError("give either a LEASE or -f FILE") }
        if lease != nil, cluster != nil { throw ValidationError("--cluster applies to -f") }
    }

    func run() throws {
        // what: for messages; key: the LEASE column when quotad knows no such lease.
        var calls: [(what: String, key: String, params: JSONObject)] = []
        if let lease {
            calls.append(("lease \(lease)", lease, ["lease": .string(lease)]))
        } else if let file {
            for vmi in try ManifestFile.virtualMachineInstances(file) {
                if let uid = vmi.uid, !uid.isEmpty {
                    calls.append(("\(vmi.name) (lease \(uid))", uid, ["lease": .string(uid)]))
                    continue
                }
                guard let cluster else {
                    throw CommandFailure("VirtualMachineInstance \(vmi.name) has no metadata.uid; to release it by name give --cluster "
                        + "(or use the live object: kubectl get vmi \(vmi.name) -o yaml)")
                }
                let pool = try ReserveCommand.pool(of: vmi, cluster: cluster)
                calls.append(("\(vmi.name) in pool \(pool)", "vmName=\(vmi.name)", ["pool": .string(pool), "vmName": .string(vmi.name)]))
            }
        }
        let outcomes = try global.connect().batch(calls.map { ("release", $0.params) })
        var results: [JSONValue] = []
        var keys: [String] = []
        var failures = 0
        for (call, outcome) in zip(calls, outcomes) {
            switch outcome {
            case .success(let result):
                results.append(result)
                keys.append(call.key)
                if result["released"]?.boolValue != true {
                    notice("release \(call.what): nothing released, the lease is \(Views.text(result["state"]))")
                }
            case .failure(let error):
                failures += 1
                reportError("release \(call.what): \(Connection.describe(error))")
            }
        }
        if !results.isEmpty {
            try Printer.emit(calls.count == 1 ? results[0] : .array(results), global.output) { Self.table(zip(keys, results).map { $0 }) }
        }
        if failures > 0 { throw CommandFailure("\(failures) of \(calls.count) releases failed") }
    }

    /// One row per release: the lease (or what was asked for, when quotad knows no such lease).
    static func table(_ results: [(key: String, result: JSONValue)]) -> String {
        var table = Table("LEASE", "POOL", "VMNAME", "RELEASED", "STATE", "EFFECTIVE")
        for (key, result) in results {
            let id = result["lease"]?["id"]?.stringValue ?? key
            table.add([
                id, Views.text(result["pool"]?["name"]), Views.text(result["lease"]?["labels"]?["vmName"]),
                Views.text(result["released"]), Views.text(result["state"]), Views.list(result["pool"]?["effective"]),
            ])
        }
        return table.rendered
    }
}
