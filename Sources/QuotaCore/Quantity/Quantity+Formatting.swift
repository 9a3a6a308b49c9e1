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
        var text: [UInt8] = []
        appendDescription(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends ``description``'s text (ASCII letters, digits and `-`, never anything JSON
    /// would escape) to `bytes`.
    /// - Parameter bytes: The buffer to append to.
    public func appendDescription(to bytes: inout [UInt8]) {
        if nanoUnits == 0 { return bytes.append(UInt8(ascii: "0")) }
        switch format {
        case .binarySI:
            let binaryThreshold = 1024 * Quantity.nanoUnitsPerUnit
            if nanoUnits.magnitude >= binaryThreshold.magnitude && isWholeNumber {
                return appendBinaryText(to: &bytes)
            }
            appendDecimalText(exponentNotation: false, to: &bytes)
        case .decimalSI:
            appendDecimalText(exponentNotation: false, to: &bytes)
        case .decimalExponent:
            appendDecimalText(exponentNotation: true, to: &bytes)
        }
    }

    /// Mantissa and power-of-ten exponent, the exponent a multiple of 3 and as large as possible
    /// with an integer mantissa (Kubernetes `AsCanonicalBytes`). Requires `nanoUnits != 0`.
    private func canonicalDecimal() -> (mantissa: Int128, exponent: Int) {
        var mantissa = nanoUnits
        var exponent = -9
        // Whole units are the common case: one 128-bit division instead of nine, then the rest
        // in 64-bit arithmetic when the mantissa fits (the digits are the same either way).
        if mantissa % Quantity.nanoUnitsPerUnit == 0 {
            mantissa /= Quantity.nanoUnitsPerUnit
            exponent = 0
        }
        if var narrow = Int64(exactly: mantissa) {
            while narrow % 10 == 0 {
                narrow /= 10
                exponent += 1
            }
            mantissa = Int128(narrow)
        } else {
            while mantissa % 10 == 0 {
                mantissa /= 10
                exponent += 1
            }
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

    private func appendDecimalText(exponentNotation: Bool, to bytes: inout [UInt8]) {
        let (mantissa, exponent) = canonicalDecimal()
        if let narrow = Int64(exactly: mantissa) {
            narrow.appendDecimal(to: &bytes)
        } else {
            bytes.append(contentsOf: String(mantissa).utf8)
        }
        if exponentNotation {
            if exponent != 0 {
                bytes.append(UInt8(ascii: "e"))
                Int64(exponent).appendDecimal(to: &bytes)
            }
            return
        }
        let suffix: StaticString
        switch exponent {
        case -9: suffix = "n"
        case -6: suffix = "u"
        case -3: suffix = "m"
        case 0: return
        case 3: suffix = "k"
        case 6: suffix = "M"
        case 9: suffix = "G"
        case 12: suffix = "T"
        case 15: suffix = "P"
        case 18: suffix = "E"
        // Unreachable inside the range (|value| < 2^63 units keeps exponent in -9...18);
        // e-notation keeps the text truthful if it ever happened.
        default:
            bytes.append(UInt8(ascii: "e"))
            return Int64(exponent).appendDecimal(to: &bytes)
        }
        bytes.append(contentsOf: UnsafeBufferPointer(start: suffix.utf8Start, count: suffix.utf8CodeUnitCount))
    }

    /// Whole units with as many factors of 1024 moved into the suffix as divide evenly
    /// (Kubernetes `AsCanonicalBase1024Bytes`). Requires a whole, non-zero value.
    private func appendBinaryText(to bytes: inout [UInt8]) {
        // |value| < 2^63 units (``Quantity/nanoUnitsLimit``): whole units fit in 64 bits.
        guard var units = Int64(exactly: nanoUnits / Quantity.nanoUnitsPerUnit) else {
            return appendDecimalText(exponentNotation: false, to: &bytes)
        }
        var power = 0
        while units.magnitude >= 1024 && units % 1024 == 0 && power < 6 {
            units /= 1024
            power += 1
        }
        units.appendDecimal(to: &bytes)
        guard power > 0 else { return }
        let prefixes: StaticString = "KMGTPE"
        bytes.append(prefixes.utf8Start[power - 1])
        bytes.append(UInt8(ascii: "i"))
    }
}
