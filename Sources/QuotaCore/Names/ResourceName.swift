/// The name of a resource in a ResourceList, such as `cpu`, `limits.memory`, `pods` or `example.com/gpu`.
///
/// Names follow Kubernetes' rules for qualified names (IsQualifiedName in
/// k8s.io/apimachinery/pkg/util/validation): an optional DNS-1123 subdomain prefix and `/`, then
/// 1 to 63 characters of `[A-Za-z0-9_.-]` that start and end with a letter or digit.
public struct ResourceName: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The name as written, e.g. `limits.cpu`.
    public let rawValue: String

    /// Validates a resource name.
    /// - Parameter text: the name, e.g. `requests.storage`.
    /// - Throws: ``InvalidValue`` when the text is not a qualified name.
    public init(_ text: String) throws(InvalidValue) {
        if let problem = NameRules.qualifiedNameProblem(text) {
            throw InvalidValue("resource name \(String(reflecting: text)) \(problem)")
        }
        self.rawValue = text
    }

    /// A name known to be valid; for names quotad itself makes, such as `leases` in a shortfall.
    init(trusted text: String) {
        self.rawValue = text
    }

    /// The pseudo-resource that a pool's `maxLeases` limits, named in a 1002 shortfall.
    public static let leases = ResourceName(trusted: "leases")

    /// Resources that Kubernetes counts in whole objects, so a ResourceQuota takes only whole numbers
    /// for them (ValidateResourceQuantityValue in pkg/apis/core/validation): `pods`, `services`,
    /// `count/<resource>`, and the other object counts a ResourceQuota may hold.
    public var isCounted: Bool {
        if rawValue.hasPrefix("count/") { return true }
        return Self.countedNames.contains(rawValue)
    }

    private static let countedNames: Set<String> = [
        "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
        "persistentvolumeclaims", "services.nodeports", "services.loadbalancers",
    ]

    public var description: String { rawValue }

    public static func < (lhs: ResourceName, rhs: ResourceName) -> Bool { lhs.rawValue < rhs.rawValue }
}
