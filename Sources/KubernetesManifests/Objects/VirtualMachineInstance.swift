import QuotaCore

/// The parts of a KubeVirt VirtualMachineInstance (kubevirt.io/v1) that a reservation needs.
public struct VirtualMachineInstance: Sendable, Equatable {
    /// metadata.name (1 to 63 characters in a valid object).
    public var name: String
    /// metadata.namespace; absent in creation manifests.
    public var namespace: String?
    /// metadata.uid, assigned by the API server; absent in creation manifests. Never taken from
    /// spec.domain.firmware.uuid, which is the guest's SMBIOS UUID, not the object's identity.
    public var uid: String?
    /// spec.domain.resources.limits, by Kubernetes resource name (`cpu`, `memory`).
    public var limits: [String: Quantity]
    /// spec.domain.resources.requests, by Kubernetes resource name.
    public var requests: [String: Quantity]

    public init(name: String, namespace: String? = nil, uid: String? = nil,
                limits: [String: Quantity] = [:], requests: [String: Quantity] = [:]) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.limits = limits
        self.requests = requests
    }

    /// Reads a VirtualMachineInstance.
    /// - Throws: ``ManifestError`` naming the object and field: another kind, no metadata.name,
    ///   a quantity that does not parse.
    public init(_ object: ManifestObject) throws(ManifestError) {
        try object.expect(kind: "VirtualMachineInstance")
        guard let name = try object.string(at: ["metadata", "name"]), !name.isEmpty else {
            throw .missingField(object: object.label, field: "metadata.name")
        }
        self.name = name
        namespace = try object.string(at: ["metadata", "namespace"])
        uid = try object.string(at: ["metadata", "uid"])
        limits = try object.quantities(at: ["spec", "domain", "resources", "limits"])
        requests = try object.quantities(at: ["spec", "domain", "resources", "requests"])
    }

    /// All VirtualMachineInstances in a file (a `kind: List` gives its items).
    /// - Parameters:
    ///   - text: the file's YAML or JSON.
    ///   - source: the file name, for messages.
    /// - Throws: ``ManifestError`` for unreadable text, an object of another kind, or no VMI at all.
    public static func all(in text: String, source: String) throws(ManifestError) -> [VirtualMachineInstance] {
        var result: [VirtualMachineInstance] = []
        for object in try ManifestReader.objects(in: text, source: source) {
            result.append(try VirtualMachineInstance(object))
        }
        guard !result.isEmpty else { throw .empty(source: source, expected: "VirtualMachineInstance") }
        return result
    }
}

extension ManifestObject {
    /// A mapping of quantities, such as `resources.limits`; empty when absent.
    /// - Throws: ``ManifestError/invalidField(object:field:value:reason:)`` naming the entry.
    func quantities(at path: [String]) throws(ManifestError) -> [String: Quantity] {
        var result: [String: Quantity] = [:]
        for (key, text) in try stringMap(at: path) {
            do {
                result[key] = try Quantity(parsing: text)
            } catch {
                throw .invalidField(object: displayName, field: (path + [key]).joined(separator: "."), value: text,
                                    reason: "\(error)")
            }
        }
        return result
    }

    /// A ResourceList such as a ResourceQuota's spec.hard; empty when absent.
    /// - Throws: ``ManifestError/invalidField(object:field:value:reason:)`` naming the entry.
    func resourceList(at path: [String]) throws(ManifestError) -> ResourceList {
        var result = ResourceList()
        for (key, quantity) in try quantities(at: path) {
            do {
                result[try ResourceName(key)] = quantity
            } catch {
                throw .invalidField(object: displayName, field: (path + [key]).joined(separator: "."), value: key,
                                    reason: error.reason)
            }
        }
        return result
    }
}
