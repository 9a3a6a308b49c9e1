/// An exact Kubernetes resource quantity, e.g. `"250m"`, `"1.5Gi"`, `"1e3"`.
///
/// Semantics follow Kubernetes apimachinery `pkg/api/resource` (`Quantity`, `ParseQuantity`,
/// `String`/`CanonicalizeBytes`, `Add`, `Sub`, `Cmp`), with two deliberate differences:
/// - The value is held exactly as an `Int128` count of nano-units (10^-9 units), so there is
///   no int64/inf.Dec split and no floating point anywhere.
/// - The range is symmetric, `|value| < 2^63 units`. Kubernetes caps BinarySI values and wraps or
///   mangles very large DecimalSI/DecimalExponent ones; quotad throws ``QuantityError/overflow``.
///
/// Equality, hashing and ordering are by value only: `1Gi == 1024Mi` and they hash equally.
/// ``format`` only steers ``description`` (and the format of sums, as in Kubernetes `Add`).
public struct Quantity: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// How a quantity is written back (Kubernetes `resource.Format`).
    public enum Format: String, Sendable, CaseIterable {
        /// Powers of ten with SI suffixes `n u m "" k M G T P E`, e.g. `"1500m"`, `"64M"`.
        case decimalSI = "DecimalSI"
        /// Powers of 1024 with suffixes `Ki Mi Gi Ti Pi Ei`, e.g. `"1536Mi"`; values that are not a
        /// whole number of units, or below 1024 in magnitude, are written as DecimalSI.
        case binarySI = "BinarySI"
        /// Powers of ten in e-notation with an exponent that is a multiple of 3, e.g. `"129e6"`.
        case decimalExponent = "DecimalExponent"
    }

    /// Exact value in units of 10^-9 (1n). Always `|nanoUnits| < ``nanoUnitsLimit```.
    public let nanoUnits: Int128

    /// The format ``description`` writes this quantity in.
    public let format: Format

    /// Nano-units per unit: 10^9.
    public static let nanoUnitsPerUnit: Int128 = 1_000_000_000

    /// Exclusive bound on `|nanoUnits|`: 2^63 units, i.e. 9_223_372_036_854_775_808 × 10^9 nano-units.
    public static let nanoUnitsLimit: Int128 = (Int128(1) << 63) * nanoUnitsPerUnit

    /// Zero, DecimalSI (what Kubernetes parses `"0"` to).
    public static let zero = Quantity(validNanoUnits: 0, format: .decimalSI)

    /// Internal memberwise init; the caller guarantees `|nanoUnits| < nanoUnitsLimit`.
    init(validNanoUnits nanoUnits: Int128, format: Format) {
        self.nanoUnits = nanoUnits
        self.format = format
    }

    /// A quantity of exactly `nanoUnits` × 10^-9 units.
    /// - Throws: ``QuantityError/overflow`` if `|nanoUnits| >= ``nanoUnitsLimit``` (2^63 units).
    public init(nanoUnits: Int128, format: Format) throws(QuantityError) {
        guard Quantity.isInRange(nanoUnits) else { throw .overflow }
        self.init(validNanoUnits: nanoUnits, format: format)
    }

    /// A whole number of units, e.g. `Quantity(integer: 3)` is `"3"`.
    ///
    /// - Precondition: `integer != Int64.min`. −2^63 is the one `Int64` outside the symmetric
    ///   range `|value| < 2^63`; use ``init(nanoUnits:format:)`` for values that are not trusted.
    public init(integer: Int64, format: Format = .decimalSI) {
        precondition(integer != .min, "Quantity(integer:): -2^63 units is outside the quantity range")
        self.init(validNanoUnits: Int128(integer) * Quantity.nanoUnitsPerUnit, format: format)
    }

    /// Whether `nanoUnits` lies strictly inside `(-nanoUnitsLimit, nanoUnitsLimit)`.
    static func isInRange(_ nanoUnits: Int128) -> Bool {
        nanoUnits > -nanoUnitsLimit && nanoUnits < nanoUnitsLimit
    }

    /// `true` when the value is below zero (`"-0"` is zero, not negative).
    public var isNegative: Bool { nanoUnits < 0 }

    /// `true` when the value is exactly zero, whatever the format.
    public var isZero: Bool { nanoUnits == 0 }

    /// `true` when the value is an integer number of units (no milli/micro/nano part), as required
    /// for counted resources such as `pods`.
    public var isWholeNumber: Bool { nanoUnits % Quantity.nanoUnitsPerUnit == 0 }

    /// The same magnitude with the opposite sign and the same format. Cannot overflow: the range is symmetric.
    public func negated() -> Quantity {
        Quantity(validNanoUnits: -nanoUnits, format: format)
    }

    /// The value in whole units, rounded away from zero (Kubernetes `Value()`, which rounds up
    /// in magnitude). `Int128` because `9223372036854775807.5` rounds to 2^63.
    public var value: Int128 { Quantity.divideAwayFromZero(nanoUnits, by: Quantity.nanoUnitsPerUnit) }

    /// The value in milli-units, rounded away from zero (Kubernetes `MilliValue()`, without its int64 overflow).
    public var milliValue: Int128 { Quantity.divideAwayFromZero(nanoUnits, by: 1_000_000) }

    /// `numerator / divisor` rounded away from zero; `divisor > 0`.
    static func divideAwayFromZero(_ numerator: Int128, by divisor: Int128) -> Int128 {
        let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: divisor)
        if remainder > 0 { return quotient + 1 }
        if remainder < 0 { return quotient - 1 }
        return quotient
    }

    // MARK: Value semantics (format ignored)

    public static func == (lhs: Quantity, rhs: Quantity) -> Bool {
        lhs.nanoUnits == rhs.nanoUnits
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(nanoUnits)
    }

    public static func < (lhs: Quantity, rhs: Quantity) -> Bool {
        lhs.nanoUnits < rhs.nanoUnits
    }

    /// Kubernetes `Cmp`: -1, 0 or 1 as `self` is less than, equal to or greater than `other` (by value).
    public func compare(_ other: Quantity) -> Int {
        nanoUnits < other.nanoUnits ? -1 : (nanoUnits == other.nanoUnits ? 0 : 1)
    }
}
