import QuotaCore

/// The parts of a Kubernetes ResourceQuota (v1) that a namespace pool is imported from.
public struct ResourceQuota: Sendable, Equatable {
    /// metadata.name.
    public var name: String
    /// metadata.namespace: the namespace the quota limits.
    public var namespace: String
    /// spec.hard: the quota's limits, the pool's base.
    public var hard: ResourceList
    /// metadata.annotations, in file order; Harvester's legacy migration entries live here.
    public var annotations: [(key: String, value: String)]

    /// Reads a ResourceQuota.
    /// - Throws: ``ManifestError`` naming the object and field: another kind, no name or
    ///   namespace, a bad quantity in spec.hard.
    public init(_ object: ManifestObject) throws(ManifestError) {
        try object.expect(kind: "ResourceQuota")
        guard let name = try object.string(at: ["metadata", "name"]), !name.isEmpty else {
            throw .missingField(object: object.label, field: "metadata.name")
        }
        self.name = name
        guard let namespace = try object.string(at: ["metadata", "namespace"]), !namespace.isEmpty else {
            throw .missingField(object: object.displayName, field: "metadata.namespace")
        }
        self.namespace = namespace
        hard = try object.resourceList(at: ["spec", "hard"])
        annotations = try object.stringMap(at: ["metadata", "annotations"])
    }

    /// The one ResourceQuota in a file.
    /// - Throws: ``ManifestError`` for unreadable text, another kind, or not exactly one object.
    public static func one(in text: String, source: String) throws(ManifestError) -> ResourceQuota {
        let objects = try ManifestReader.objects(in: text, source: source)
        guard let first = objects.first else { throw .empty(source: source, expected: "ResourceQuota") }
        guard objects.count == 1 else {
            throw .invalidField(object: source, field: "items", value: "\(objects.count) objects", reason: "expected one ResourceQuota")
        }
        return try ResourceQuota(first)
    }

    public static func == (lhs: ResourceQuota, rhs: ResourceQuota) -> Bool {
        lhs.name == rhs.name && lhs.namespace == rhs.namespace && lhs.hard == rhs.hard
            && lhs.annotations.elementsEqual(rhs.annotations) { $0 == $1 }
    }
}
