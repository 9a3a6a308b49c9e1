/// A set of resource amounts keyed by name, like Kubernetes' `ResourceList` (`map[ResourceName]Quantity`).
///
/// Values compare by amount, so `{"memory": "1Gi"}` equals `{"memory": "1024Mi"}`. A resource absent
/// from the list is zero for sums and unlimited for a pool's capacity.
public struct ResourceList: Sendable, Equatable {
    /// The amounts, by resource name.
    public private(set) var amounts: [ResourceName: Quantity]

    /// The most resources one list may name.
    public static let maxEntries = 64

    public init(_ amounts: [ResourceName: Quantity] = [:]) {
        self.amounts = amounts
    }

    /// An empty list.
    public static let empty = ResourceList()

    /// The amount of one resource, or nil when the list does not name it.
    public subscript(name: ResourceName) -> Quantity? {
        get { amounts[name] }
        set { amounts[name] = newValue }
    }

    public var isEmpty: Bool { amounts.isEmpty }

    /// The entries in name order, for stable output.
    public var sorted: [(name: ResourceName, quantity: Quantity)] {
        var entries = amounts.map { (name: $0.key, quantity: $0.value) }
        if entries.count > 1 { entries.sort { $0.name < $1.name } }
        return entries
    }

    /// Checks the rules a ResourceQuota's hard limits follow (ValidateResourceQuantityValue in
    /// Kubernetes' pkg/apis/core/validation): no negative amounts, whole numbers for counted resources.
    /// - Parameter field: the request field that held the list, e.g. `resources`; errors name
    ///   `field["name"]`.
    /// - Throws: ``QuotaError/invalidArgument(field:reason:)`` (-32602) naming the first bad entry.
    public func validate(field: String) throws(QuotaError) {
        if amounts.count > Self.maxEntries {
            throw .invalidArgument(field: field, reason: "names \(amounts.count) resources; at most \(Self.maxEntries) are allowed")
        }
        for (name, quantity) in sorted {
            if quantity.isNegative {
                throw .invalidArgument(field: Self.fieldName(field, name), reason: "must not be negative (got \(quantity))")
            }
            if name.isCounted && !quantity.isWholeNumber {
                throw .invalidArgument(field: Self.fieldName(field, name), reason: "\(name) is counted in whole objects and must be a whole number (got \(quantity))")
            }
        }
    }

    /// The field name of one entry, as errors print it: `resources["limits.memory"]`.
    public static func fieldName(_ field: String, _ name: ResourceName) -> String {
        "\(field)[\"\(name.rawValue)\"]"
    }

    /// The entry-wise sum; a name in either list appears in the result.
    /// - Parameters:
    ///   - other: the list to add.
    ///   - field: the request field `other` came from; an overflow names `field["name"]`.
    /// - Throws: ``QuotaError/quantityOverflow(field:)`` when a sum reaches 2^63 units.
    public func adding(_ other: ResourceList, field: String = "resources") throws(QuotaError) -> ResourceList {
        var result = self
        for (name, quantity) in other.amounts {
            do {
                result.amounts[name] = try (result.amounts[name] ?? .zero).adding(quantity)
            } catch {
                throw .quantityOverflow(field: Self.fieldName(field, name))
            }
        }
        return result
    }

    /// The entry-wise difference; a name in either list appears in the result.
    /// - Parameters:
    ///   - other: the list to subtract.
    ///   - field: the request field `other` came from; an overflow names `field["name"]`.
    /// - Throws: ``QuotaError/quantityOverflow(field:)`` when a difference leaves the range.
    public func subtracting(_ other: ResourceList, field: String = "resources") throws(QuotaError) -> ResourceList {
        var result = self
        for (name, quantity) in other.amounts {
            do {
                result.amounts[name] = try (result.amounts[name] ?? .zero).subtracting(quantity)
            } catch {
                throw .quantityOverflow(field: Self.fieldName(field, name))
            }
        }
        return result
    }

    /// The same list without zero amounts; pools keep `reserved` this way, so a resource no active
    /// lease holds is absent rather than `"0"`, the same before and after a restart.
    public func droppingZeros() -> ResourceList {
        ResourceList(amounts.filter { !$0.value.isZero })
    }

    /// The entries whose names `names` contains.
    public func restricted<S: Sequence>(to names: S) -> ResourceList where S.Element == ResourceName {
        var result = ResourceList()
        for name in names {
            if let quantity = amounts[name] { result.amounts[name] = quantity }
        }
        return result
    }
}
