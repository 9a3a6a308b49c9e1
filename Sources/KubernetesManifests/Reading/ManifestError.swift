/// Why a manifest cannot be used; every case names the object and the field.
public enum ManifestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is neither YAML nor JSON; `reason` is the parser's message.
    case unreadable(source: String, reason: String)
    /// The file holds no object of the wanted kind.
    case empty(source: String, expected: String)
    /// An object of another kind where `expected` was wanted.
    case wrongKind(object: String, expected: String, found: String)
    /// A required field is absent.
    case missingField(object: String, field: String)
    /// A field holds a value that cannot be used.
    case invalidField(object: String, field: String, value: String, reason: String)
    /// A VirtualMachineInstance without metadata.uid: a lease is keyed by it (issue 5).
    case missingUID(vmName: String)
    /// None of the VMI's resources is one the pool's base limits.
    case nothingToReserve(vmName: String, pool: String, resources: [String], base: [String])

    public var description: String {
        switch self {
        case .unreadable(let source, let reason):
            "\(source): not YAML or JSON: \(reason)"
        case .empty(let source, let expected):
            "\(source): holds no \(expected)"
        case .wrongKind(let object, let expected, let found):
            "\(object): kind is \"\(found)\", expected \(expected)"
        case .missingField(let object, let field):
            "\(object): \(field) is missing"
        case .invalidField(let object, let field, let value, let reason):
            "\(object): \(field) \"\(value)\": \(reason)"
        case .missingUID(let vmName):
            "VirtualMachineInstance \(vmName) has no metadata.uid. A lease is keyed by the VMI's UID, "
                + "which the API server assigns when it creates the object, so a creation manifest "
                + "cannot be used (spec.domain.firmware.uuid is not the object's UID). Get the live "
                + "object with `kubectl get vmi \(vmName) -o yaml` (add `-n NAMESPACE`) and pass that file."
        case .nothingToReserve(let vmName, let pool, let resources, let base):
            "VirtualMachineInstance \(vmName): none of its resources (\(resources.joined(separator: ", "))) "
                + "is limited by the base of pool \(pool) (\(base.joined(separator: ", "))); nothing to reserve"
        }
    }
}
