extension Quantity {
    /// `self + other`, exact.
    ///
    /// The result's format follows Kubernetes `Quantity.Add` (apimachinery `pkg/api/resource`):
    /// a zero `self` adopts `other.format`, otherwise `self.format` is kept.
    /// - Throws: ``QuantityError/overflow`` if the sum's magnitude reaches 2^63 units.
    public func adding(_ other: Quantity) throws(QuantityError) -> Quantity {
        // Both operands are below 2^63 × 10^9 < 2^93 in magnitude, so Int128 cannot wrap here.
        let (sum, wrapped) = nanoUnits.addingReportingOverflow(other.nanoUnits)
        guard !wrapped else { throw .overflow }
        return try Quantity(nanoUnits: sum, format: isZero ? other.format : format)
    }

    /// `self - other`, exact.
    ///
    /// The result's format follows Kubernetes `Quantity.Sub`: a zero `self` adopts `other.format`,
    /// otherwise `self.format` is kept.
    /// - Throws: ``QuantityError/overflow`` if the difference's magnitude reaches 2^63 units.
    public func subtracting(_ other: Quantity) throws(QuantityError) -> Quantity {
        let (difference, wrapped) = nanoUnits.subtractingReportingOverflow(other.nanoUnits)
        guard !wrapped else { throw .overflow }
        return try Quantity(nanoUnits: difference, format: isZero ? other.format : format)
    }
}
