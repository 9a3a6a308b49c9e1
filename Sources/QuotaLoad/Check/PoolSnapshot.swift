import JSON

/// One pool as `inspect {pool, includeLeases: true}` answered it, with the active leases
/// charged to it (its descendants' included).
public struct PoolSnapshot: Sendable, Equatable {
    /// An active lease as listed by the pool.
    public struct ListedLease: Sendable, Equatable {
        public var id: String
        public var state: String
        /// Quantity text per resource, as the server wrote it.
        public var resources: [String: String]

        public init(id: String, state: String, resources: [String: String]) {
            self.id = id
            self.state = state
            self.resources = resources
        }
    }

    public var name: String
    public var capacity: [String: String]
    public var reserved: [String: String]
    public var overcommitted: Bool
    public var activeLeases: Int
    public var leases: [ListedLease]

    public init(name: String, capacity: [String: String], reserved: [String: String], overcommitted: Bool,
                activeLeases: Int, leases: [ListedLease]) {
        self.name = name
        self.capacity = capacity
        self.reserved = reserved
        self.overcommitted = overcommitted
        self.activeLeases = activeLeases
        self.leases = leases
    }

    /// Reads an `inspect {pool, includeLeases: true}` result.
    /// - Parameter result: the JSON-RPC result object.
    /// - Throws: ``LoadError/setup(_:)`` naming the member that is missing or of the wrong type.
    public init(inspectResult result: JSONValue) throws(LoadError) {
        guard let pool = result["pool"], let name = pool["name"]?.stringValue else {
            throw .setup("inspect result has no pool.name")
        }
        self.name = name
        capacity = try Self.resourceList(pool["capacity"], "pool.capacity")
        reserved = try Self.resourceList(pool["reserved"], "pool.reserved")
        guard let overcommitted = pool["overcommitted"]?.boolValue else { throw .setup("\(name): no pool.overcommitted") }
        self.overcommitted = overcommitted
        guard let active = pool["activeLeases"]?.int64Value else { throw .setup("\(name): no pool.activeLeases") }
        activeLeases = Int(active)
        guard let list = result["leases"]?.arrayValue else { throw .setup("\(name): no leases (includeLeases)") }
        var leases: [ListedLease] = []
        for (index, lease) in list.enumerated() {
            guard let id = lease["id"]?.stringValue, let state = lease["state"]?.stringValue else {
                throw .setup("\(name): leases[\(index)] has no id or state")
            }
            leases.append(ListedLease(id: id, state: state, resources: try Self.resourceList(lease["resources"], "leases[\(index)].resources")))
        }
        self.leases = leases
    }

    private static func resourceList(_ value: JSONValue?, _ field: String) throws(LoadError) -> [String: String] {
        guard let object = value?.objectValue else { throw .setup("\(field) is not an object") }
        var list: [String: String] = [:]
        for (key, quantity) in object.members {
            guard let text = quantity.stringValue else { throw .setup("\(field)[\"\(key)\"] is not a string") }
            list[key] = text
        }
        return list
    }
}
