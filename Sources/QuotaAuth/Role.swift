/// What a principal may do (issue #6).
public enum Role: String, Sendable, CaseIterable {
    /// Reads: `inspect` and `rpc.discover`.
    case reader
    /// A migration controller: also `reserve`, `release`, `renew` and `reconcile`, in its pools
    /// only, and only on leases it holds.
    case controller
    /// Everything, including `setPool`, `deletePool` and `importAnnotations`, and other holders' leases.
    case admin

    /// The methods a reader may call.
    public static let readMethods: Set<String> = ["inspect", "rpc.discover"]
    /// The methods a controller may call besides the reads.
    public static let leaseMethods: Set<String> = ["reserve", "release", "renew", "reconcile"]

    /// True when this role may call `method` at all (scopes are checked separately).
    /// - Parameter method: a JSON-RPC method name.
    public func permits(_ method: String) -> Bool {
        switch self {
        case .reader: Self.readMethods.contains(method)
        case .controller: Self.readMethods.contains(method) || Self.leaseMethods.contains(method)
        case .admin: true
        }
    }
}
