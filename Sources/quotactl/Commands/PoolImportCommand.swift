import ArgumentParser
import JSON
import KubernetesManifests
import QuotaCore

/// `quotactl pool import -f resourcequota.yaml --cluster C [--namespace-file ns.yaml] [--with-migrations]`.
struct PoolImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Create or update a namespace pool from its ResourceQuota (and Rancher's Namespace annotations).",
        discussion: """
            base = the ResourceQuota's spec.hard, or the limit of the Namespace's field.cattle.io/resourceQuota \
            annotation when there is one. Labels: cluster=C and project=<p-…> from field.cattle.io/projectId. \
            Capacity: --capacity, else the existing pool's, else the base. --with-migrations turns the \
            ResourceQuota's harvesterhci.io/migrating-* annotations into leases (importAnnotations).
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customShort("f"), help: "The ResourceQuota (YAML or JSON; - for stdin).")
    var file: String

    @Option(help: "The cluster: the pool is CLUSTER/<metadata.namespace>.")
    var cluster: String

    @Option(help: "The Namespace, for Rancher's quota limit and project.")
    var namespaceFile: String?

    @Option(help: "Migration headroom, e.g. limits.cpu=8,limits.memory=32Gi.")
    var capacity: String?

    @Option(help: "Most active leases at once (default: the existing pool's).")
    var maxLeases: Int?

    @Flag(help: "Import the ResourceQuota's legacy migration annotations as leases.")
    var withMigrations = false

    @Option(help: "VirtualMachineInstances whose UIDs key name-keyed annotations (with --with-migrations).")
    var vmis: String?

    @Option(help: "Holder of imported leases.")
    var holder: String?

    @Option(help: "TTL of imported leases, a Go duration such as 15m.")
    var ttl: String?

    func validate() throws {
        do {
            if let capacity { _ = try FlagParsing.resourceList(capacity, flag: "--capacity") }
            if let ttl { _ = try GoDuration.seconds(ttl) }
        } catch {
            throw ValidationError(error)
        }
        if vmis != nil || holder != nil || ttl != nil, !withMigrations {
            throw ValidationError("--vmis, --holder and --ttl apply to --with-migrations")
        }
        if let maxLeases, maxLeases < 0 { throw ValidationError("--max-leases: \(maxLeases) must not be negative") }
    }

    func run() throws {
        let quota: ResourceQuota
        do {
            quota = try ResourceQuota.one(in: try ManifestFile.text(file), source: file)
        } catch let error as ManifestError {
            throw CommandFailure(error.description)
        }
        var base = quota.hard
        var labels: JSONObject = [:]
        if let namespaceFile {
            let namespace: Namespace
            do {
                namespace = try Namespace.one(in: try ManifestFile.text(namespaceFile), source: namespaceFile)
                guard namespace.name == quota.namespace else {
                    throw CommandFailure("\(namespaceFile): Namespace \(namespace.name) is not the ResourceQuota's namespace \(quota.namespace)")
                }
                if let limit = try namespace.rancherLimit() { base = limit }
            } catch let error as ManifestError {
                throw CommandFailure(error.description)
            }
            if let project = namespace.rancherProject { labels.append("project", .string(project)) }
        }
        labels.append("cluster", .string(cluster))
        let pool = "\(cluster)/\(quota.namespace)"

        let connection = try global.connect()
        let existing = try connection.callAllowingMissingPool("inspect", ["pool": .string(pool)])?["pool"]
        var merged = existing?["labels"]?.objectValue ?? [:]
        for (key, value) in labels.members { merged[key] = value }
        let baseJSON = JSONObject(base.sorted.map { ($0.name.rawValue, JSONValue.string($0.quantity.description)) })
        let capacityJSON: JSONObject
        if let capacity {
            capacityJSON = try FlagParsing.resourceList(capacity, flag: "--capacity")
        } else if let kept = existing?["capacity"]?.objectValue {
            capacityJSON = kept
        } else {
            capacityJSON = baseJSON
        }
        var params: JSONObject = ["pool": .string(pool), "capacity": .object(capacityJSON)]
        if let maxLeases {
            params.append("maxLeases", JSONValue(maxLeases))
        } else if let kept = existing?["maxLeases"], !kept.isNull {
            params.append("maxLeases", kept)
        }
        params.append("base", .object(baseJSON))
        params.append("labels", .object(merged))
        let setPool = try connection.call("setPool", params, context: "pool import \(pool)")
        var output: JSONObject = ["setPool": setPool]
        var imported: JSONValue?
        if withMigrations {
            var importParams: JSONObject = [
                "pool": .string(pool),
                "annotations": .object(JSONObject(quota.annotations.map { ($0.key, JSONValue.string($0.value)) })),
            ]
            if let vmis {
                var byName = JSONObject()
                for vmi in try ManifestFile.virtualMachineInstances(vmis) {
                    guard let uid = vmi.uid, !uid.isEmpty else { throw CommandFailure(ManifestError.missingUID(vmName: vmi.name).description) }
                    byName[vmi.name] = .string(uid)
                }
                importParams.append("vmis", .object(byName))
            }
            if let holder { importParams.append("holder", .string(holder)) }
            if let ttl { importParams.append("ttlSeconds", JSONValue(try GoDuration.seconds(ttl))) }
            let result = try connection.call("importAnnotations", importParams, context: "pool import \(pool) --with-migrations")
            output.append("importAnnotations", result)
            imported = result
        }
        try Printer.emit(.object(output), global.output) {
            var text = Views.poolTable([imported?["pool"] ?? setPool["pool"] ?? .null])
            if let imported {
                let leases = (imported["imported"]?.arrayValue ?? []) + (imported["existing"]?.arrayValue ?? [])
                text += "\nimported \(imported["imported"]?.arrayValue?.count ?? 0) leases, "
                    + "\(imported["existing"]?.arrayValue?.count ?? 0) already present, "
                    + "\(imported["ignored"]?.arrayValue?.count ?? 0) annotations ignored\n"
                if !leases.isEmpty { text += Views.leaseTable(leases) }
            }
            return text
        }
    }
}
