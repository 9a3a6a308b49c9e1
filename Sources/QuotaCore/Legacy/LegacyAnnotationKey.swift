/// A migration recorded the old way: a ResourceQuota annotation written by Harvester's migration
/// controller before quotad, whose value is the ResourceList JSON the quota was raised by (issue #5).
///
/// - `harvesterhci.io/migrating-<vmName>`: keyed by the VM's name (the key overflows Kubernetes'
///   63-character name part for names of 54 characters or more, harvester#7464);
/// - `harvesterhci.io/migratingUID-<vmiUID>`: keyed by the VMI's `metadata.uid`.
public enum LegacyAnnotationKey: Sendable, Equatable {
    case vmName(String)
    case uid(LeaseID)

    /// The prefix of name-keyed entries.
    public static let namePrefix = "harvesterhci.io/migrating-"
    /// The prefix of UID-keyed entries.
    public static let uidPrefix = "harvesterhci.io/migratingUID-"

    /// Classifies an annotation key.
    /// - Parameter key: any annotation key of a ResourceQuota.
    /// - Returns: the entry's key, or nil when `key` is not a migration annotation.
    /// - Throws: ``InvalidValue`` when it has a migration prefix but the rest is not a VM name
    ///   (a DNS-1123 subdomain) or not a UUID.
    public init?(_ key: String) throws(InvalidValue) {
        if key.hasPrefix(Self.uidPrefix) {
            let text = String(key.dropFirst(Self.uidPrefix.count))
            self = .uid(try LeaseID(text))
        } else if key.hasPrefix(Self.namePrefix) {
            let name = String(key.dropFirst(Self.namePrefix.count))
            guard NameRules.isDNS1123Subdomain(ArraySlice(name.utf8)) else {
                throw InvalidValue("VM name \(String(reflecting: name)) must be a DNS-1123 subdomain ([a-z0-9.-], 1 to 253 characters, starting and ending alphanumeric)")
            }
            self = .vmName(name)
        } else {
            return nil
        }
    }
}
