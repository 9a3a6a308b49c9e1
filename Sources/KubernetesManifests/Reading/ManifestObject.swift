import Yams

/// One Kubernetes object as read from a manifest, with typed access to its fields.
public struct ManifestObject: @unchecked Sendable {
    /// The object's node; mappings keyed by field name.
    let node: Node
    /// Where it came from, for messages (`file.yaml items[2]`); replaced by kind and name once known.
    let label: String

    init(node: Node, label: String) {
        self.node = node
        self.label = label
    }

    /// `kind`, or "" when absent.
    public var kind: String { node["kind"]?.scalar?.string ?? "" }

    /// `metadata.name`, or nil when absent.
    public var name: String? { node["metadata"]?["name"]?.scalar?.string }

    /// `Kind name` when the name is known, else where the object came from.
    var displayName: String {
        guard let name else { return label }
        return "\(kind.isEmpty ? "object" : kind) \(name)"
    }

    /// Checks the kind.
    /// - Throws: ``ManifestError/wrongKind(object:expected:found:)``.
    func expect(kind expected: String) throws(ManifestError) {
        guard kind == expected else { throw .wrongKind(object: displayName, expected: expected, found: kind) }
    }

    /// The node at a dotted path of mapping keys, or nil when some step is absent or null.
    func node(at path: [String]) -> Node? {
        var current: Node? = node
        for key in path { current = current?[key] }
        return current?.null == nil ? current : nil
    }

    /// The text of a scalar field, or nil when absent.
    /// - Throws: ``ManifestError/invalidField(object:field:value:reason:)`` when it is not a scalar.
    func string(at path: [String]) throws(ManifestError) -> String? {
        guard let found = node(at: path) else { return nil }
        guard let scalar = found.scalar else {
            throw .invalidField(object: displayName, field: path.joined(separator: "."), value: "(\(found.kindName))",
                                reason: "must be a string")
        }
        return scalar.string
    }

    /// A mapping of scalar values (labels, annotations, a ResourceList), in file order; empty when absent.
    /// - Throws: ``ManifestError/invalidField(object:field:value:reason:)`` when it is not a mapping of scalars.
    func stringMap(at path: [String]) throws(ManifestError) -> [(key: String, value: String)] {
        guard let found = node(at: path) else { return [] }
        let field = path.joined(separator: ".")
        guard let mapping = found.mapping else {
            throw .invalidField(object: displayName, field: field, value: found.scalar?.string ?? "(\(found.kindName))",
                                reason: "must be a mapping")
        }
        var result: [(key: String, value: String)] = []
        for (key, value) in mapping {
            let name = key.scalar?.string ?? ""
            guard let text = value.scalar?.string else {
                throw .invalidField(object: displayName, field: "\(field).\(name)", value: "(\(value.kindName))",
                                    reason: "must be a string")
            }
            result.append((name, text))
        }
        return result
    }
}

extension Node {
    /// `mapping`, `sequence`, `scalar` or `alias`, for messages.
    var kindName: String {
        switch self {
        case .scalar: "scalar"
        case .mapping: "mapping"
        case .sequence: "sequence"
        case .alias: "alias"
        }
    }
}
