extension Quantity {
    /// Kubernetes' canonical text (`Quantity.String()` / `CanonicalizeBytes`, apimachinery
    /// `pkg/api/resource`), computed from the value and ``format`` (Kubernetes sometimes echoes
    /// the raw input instead; this always normalises, e.g. `"+007"` → `"7"`, `"1e0"` → `"1"`).
    ///
    /// - Zero is `"0"`.
    /// - DecimalSI: strip trailing decimal zeros from the mantissa, lower the exponent to a multiple
    ///   of 3, then use the SI suffix for it: `n u m "" k M G T P E` (`"1500m"`, `"64M"`).
    /// - DecimalExponent: as DecimalSI but written `e<exponent>` (nothing for exponent 0): `"129e6"`, `"1500e-6"`.
    /// - BinarySI: if the value is a whole number of units and `|value| >= 1024`, divide out 1024 while it
    ///   divides evenly and use `Ki Mi Gi Ti Pi Ei` (`"1536Mi"`, `"5000Mi"`); otherwise as DecimalSI.
    public var description: String {
        if nanoUnits == 0 { return "0" }
        switch format {
        case .binarySI:
            let binaryThreshold = 1024 * Quantity.nanoUnitsPerUnit
            if nanoUnits.magnitude >= binaryThreshold.magnitude && isWholeNumber {
                return binaryText()
            }
            return decimalText(exponentNotation: false)
        case .decimalSI:
            return decimalText(exponentNotation: false)
        case .decimalExponent:
            return decimalText(exponentNotation: true)
        }
    }

    /// Mantissa and power-of-ten exponent, the exponent a multiple of 3 and as large as possible
    /// with an integer mantissa (Kubernetes `AsCanonicalBytes`). Requires `nanoUnits != 0`.
    private func canonicalDecimal() -> (mantissa: Int128, exponent: Int) {
        var mantissa = nanoUnits
        var exponent = -9
        while mantissa % 10 == 0 {
            mantissa /= 10
            exponent += 1
        }
        // Swift's % keeps the dividend's sign, like Go's; always move the exponent down.
        switch exponent % 3 {
        case 1, -2:
            mantissa *= 10
            exponent -= 1
        case 2, -1:
            mantissa *= 100
            exponent -= 2
        default:
            break
        }
        return (mantissa, exponent)
    }

    private func decimalText(exponentNotation: Bool) -> String {
        let (mantissa, exponent) = canonicalDecimal()
        let digits = String(mantissa)
        if exponentNotation {
            return exponent == 0 ? digits : digits + "e" + String(exponent)
        }
        let suffix: String
        switch exponent {
        case -9: suffix = "n"
        case -6: suffix = "u"
        case -3: suffix = "m"
        case 0: suffix = ""
        case 3: suffix = "k"
        case 6: suffix = "M"
        case 9: suffix = "G"
        case 12: suffix = "T"
        case 15: suffix = "P"
        case 18: suffix = "E"
        // Unreachable inside the range (|value| < 2^63 units keeps exponent in -9...18);
        // e-notation keeps the text truthful if it ever happened.
        default: suffix = "e" + String(exponent)
        }
        return digits + suffix
    }

    /// Whole units with as many factors of 1024 moved into the suffix as divide evenly
    /// (Kubernetes `AsCanonicalBase1024Bytes`). Requires a whole, non-zero value.
    private func binaryText() -> String {
        var units = nanoUnits / Quantity.nanoUnitsPerUnit
        var power = 0
        while units.magnitude >= 1024 && units % 1024 == 0 && power < 6 {
            units /= 1024
            power += 1
        }
        let suffix: String
        switch power {
        case 1: suffix = "Ki"
        case 2: suffix = "Mi"
        case 3: suffix = "Gi"
        case 4: suffix = "Ti"
        case 5: suffix = "Pi"
        case 6: suffix = "Ei"
        default: suffix = ""
        }
        return String(units) + suffix
    }
}
