/// One in-flight migration to import from legacy annotations: the lease it becomes.
public struct LegacyMigration: Sendable, Equatable {
    /// The lease id: the VMI's UID, or a UUID derived from pool and VM name when the UID is unknown.
    public var lease: LeaseID
    /// What the quota was raised by for it.
    public var resources: ResourceList
    /// `vmName` when known; `legacy: "true"` when the id was derived.
    public var labels: [String: String]
    /// The annotation keys it came from (one, or both forms for the same VM).
    public var annotations: [String]

    public init(lease: LeaseID, resources: ResourceList, labels: [String: String], annotations: [String]) {
        self.lease = lease
        self.resources = resources
        self.labels = labels
        self.annotations = annotations
    }

    /// One annotation that names a migration, with its value already read.
    public struct Entry: Sendable {
        /// The annotation key as written.
        public var annotation: String
        public var key: LegacyAnnotationKey
        public var resources: ResourceList

        public init(annotation: String, key: LegacyAnnotationKey, resources: ResourceList) {
            self.annotation = annotation
            self.key = key
            self.resources = resources
        }
    }

    /// Turns annotations into migrations, one per VM.
    ///
    /// A UID-keyed entry uses its UID. A name-keyed entry uses the UID that `vmis` gives for the name,
    /// else `derivedID(vmName)` with the label `legacy: "true"`. When both forms resolve to the same
    /// UID they are one migration; the UID-keyed value wins, as the newer controller wrote it.
    /// - Parameters:
    ///   - entries: the migration annotations, in the order given.
    ///   - vmis: running VMIs, name → `metadata.uid`.
    ///   - derivedID: the deterministic id of a VM whose UID is unknown (quotad uses UUIDv5).
    /// - Returns: the migrations, ordered by lease id.
    /// - Throws: -32602 ``QuotaError/invalidArgument(field:reason:)`` naming
    ///   `annotations["<key>"]` when two entries of the same form name the same lease.
    public static func merging(
        _ entries: [Entry], vmis: [String: LeaseID], derivedID: (String) -> LeaseID
    ) throws(QuotaError) -> [LegacyMigration] {
        var names: [LeaseID: String] = [:]
        for (name, id) in vmis { names[id] = name }
        var byUID: [LeaseID: LegacyMigration] = [:]
        var byName: [LeaseID: LegacyMigration] = [:]
        for entry in entries {
            let field = "annotations[\(String(reflecting: entry.annotation))]"
            switch entry.key {
            case .uid(let id):
                if let other = byUID[id] {
                    throw .invalidArgument(field: field, reason: "names lease \(id) again (first in \(String(reflecting: other.annotations[0])))")
                }
                var labels: [String: String] = [:]
                if let name = names[id] { labels[Ledger.vmNameLabel] = name }
                byUID[id] = LegacyMigration(lease: id, resources: entry.resources, labels: labels, annotations: [entry.annotation])
            case .vmName(let name):
                var labels = [Ledger.vmNameLabel: name]
                let id: LeaseID
                if let known = vmis[name] {
                    id = known
                } else {
                    id = derivedID(name)
                    labels["legacy"] = "true"
                }
                if let other = byName[id] {
                    throw .invalidArgument(field: field, reason: "resolves to lease \(id), as \(String(reflecting: other.annotations[0])) does")
                }
                byName[id] = LegacyMigration(lease: id, resources: entry.resources, labels: labels, annotations: [entry.annotation])
            }
        }
        for (id, named) in byName {
            if var keyed = byUID[id] {
                keyed.labels.merge(named.labels) { kept, _ in kept }
                keyed.annotations += named.annotations
                byUID[id] = keyed
            } else {
                byUID[id] = named
            }
        }
        return byUID.values.sorted { $0.lease < $1.lease }
    }
}
