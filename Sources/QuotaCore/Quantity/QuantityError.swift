/// Why a ``Quantity`` could not be parsed, constructed or computed.
///
/// Mirrors the error classes of Kubernetes apimachinery `pkg/api/resource`
/// (`ErrFormatWrong`, `ErrSuffix`, `ErrNumeric` all map to ``invalid(reason:)``),
/// plus ``overflow``, which Kubernetes does not have: where Kubernetes silently caps
/// (BinarySI) or wraps (int64 / int32 arithmetic), quotad refuses the value instead.
public enum QuantityError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is not a Kubernetes quantity. `reason` is a short human-readable
    /// explanation, e.g. `unknown suffix "K"` or Kubernetes' own
    /// `quantities must match the regular expression '…'` message.
    case invalid(reason: String)

    /// The magnitude would reach 2^63 units or more (see ``Quantity/nanoUnitsLimit``),
    /// or a sum/difference would. Never a wrap-around.
    case overflow

    public var description: String {
        switch self {
        case .invalid(let reason):
            return "invalid quantity: \(reason)"
        case .overflow:
            return "quantity out of range: magnitude must be below 2^63 (9223372036854775808) units"
        }
    }
}

extension QuantityError {
    /// Kubernetes' `ErrFormatWrong` text (apimachinery `pkg/api/resource/quantity.go`).
    static let formatMessage =
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

    /// The text does not have the shape `[+-]?[0-9.]+` followed by a suffix (Kubernetes `ErrFormatWrong`).
    static let formatWrong = QuantityError.invalid(reason: formatMessage)

    /// The suffix is not one of `n u m k M G T P E`, `Ki Mi Gi Ti Pi Ei`, or `e`/`E` followed by an
    /// int64 exponent (Kubernetes `ErrSuffix`). `suffix` is the offending ASCII suffix text.
    static func unknownSuffix(_ suffix: String) -> QuantityError {
        .invalid(reason: "unknown suffix \"\(suffix)\"")
    }
}
