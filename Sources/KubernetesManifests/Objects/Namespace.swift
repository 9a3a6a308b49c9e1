import JSON
import QuotaCore

/// The parts of a Kubernetes Namespace (v1) that Rancher annotates.
public struct Namespace: Sendable, Equatable {
    /// Rancher's annotation holding the namespace's share of its project's quota.
    public static let rancherQuotaAnnotation = "field.cattle.io/resourceQuota"
    /// Rancher's annotation naming the project, `c-xxx:p-yyy` (cluster id : project id).
    public static let rancherProjectAnnotation = "field.cattle.io/projectId"

    /// metadata.name.
    public var name: String
    /// metadata.annotations.
    public var annotations: [String: String]
    /// metadata.labels.
    public var labels: [String: String]

    public init(name: String, annotations: [String: String] = [:], labels: [String: String] = [:]) {
        self.name = name
        self.annotations = annotations
        self.labels = labels
    }

    /// Reads a Namespace.
    /// - Throws: ``ManifestError`` naming the object and field.
    public init(_ object: ManifestObject) throws(ManifestError) {
        try object.expect(kind: "Namespace")
        guard let name = try object.string(at: ["metadata", "name"]), !name.isEmpty else {
            throw .missingField(object: object.label, field: "metadata.name")
        }
        self.name = name
        annotations = Dictionary(try object.stringMap(at: ["metadata", "annotations"]), uniquingKeysWith: { $1 })
        labels = Dictionary(try object.stringMap(at: ["metadata", "labels"]), uniquingKeysWith: { $1 })
    }

    /// The one Namespace in a file.
    /// - Throws: ``ManifestError`` for unreadable text, another kind, or not exactly one object.
    public static func one(in text: String, source: String) throws(ManifestError) -> Namespace {
        let objects = try ManifestReader.objects(in: text, source: source)
        guard let first = objects.first else { throw .empty(source: source, expected: "Namespace") }
        guard objects.count == 1 else {
            throw .invalidField(object: source, field: "items", value: "\(objects.count) objects", reason: "expected one Namespace")
        }
        return try Namespace(first)
    }

    /// The Rancher project id: the part after `:` of `field.cattle.io/projectId`
    /// (`c-m-7x2kq9bd:p-4hwzn` → `p-4hwzn`), else Rancher's label of the same name; nil when neither.
    public var rancherProject: String? {
        if let value = annotations[Self.rancherProjectAnnotation], !value.isEmpty {
            return value.split(separator: ":").last.map(String.init)
        }
        if let value = labels[Self.rancherProjectAnnotation], !value.isEmpty { return value }
        return nil
    }

    /// The `limit` of Rancher's `field.cattle.io/resourceQuota` annotation, in Kubernetes resource
    /// names (see ``RancherResourceName``); nil when the annotation is absent or has no limit.
    /// - Throws: ``ManifestError/invalidField(object:field:value:reason:)`` naming the annotation
    ///   for text that is not JSON, an unknown Rancher name or a bad quantity.
    public func rancherLimit() throws(ManifestError) -> ResourceList? {
        guard let text = annotations[Self.rancherQuotaAnnotation] else { return nil }
        let object = "Namespace \(name)"
        let field = "metadata.annotations[\"\(Self.rancherQuotaAnnotation)\"]"
        let value: JSONValue
        do {
            value = try JSONReader.parse(text)
        } catch {
            throw .invalidField(object: object, field: field, value: text, reason: "not JSON: \(error)")
        }
        guard let limit = value["limit"] else { return nil }
        guard case .object(let members) = limit else {
            throw .invalidField(object: object, field: field + ".limit", value: "\(limit)", reason: "must be an object")
        }
        var result = ResourceList()
        for (rancherName, amount) in members.members {
            guard let name = RancherResourceName.kubernetesName(rancherName) else {
                throw .invalidField(object: object, field: field + ".limit", value: rancherName,
                                    reason: "unknown Rancher resource name (known: \(RancherResourceName.known.joined(separator: ", ")))")
            }
            let text = amount.stringValue ?? amount.numberValue?.text ?? "\(amount)"
            do {
                result[try ResourceName(name)] = try Quantity(parsing: text)
            } catch {
                throw .invalidField(object: object, field: field + ".limit.\(rancherName)", value: text, reason: "\(error)")
            }
        }
        return result
    }
}
