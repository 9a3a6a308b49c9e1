extension Quantity {
    /// Parses a Kubernetes quantity string as Kubernetes apimachinery `pkg/api/resource`
    /// `ParseQuantity` does, but exactly and with a hard range.
    ///
    /// Grammar (Kubernetes' scanner, not a regex): `[+-]? digits? ('.' digits?)? suffix`, where the
    /// suffix is empty, one of `n u m k M G T P E` (DecimalSI, 10^-9 … 10^18), one of
    /// `Ki Mi Gi Ti Pi Ei` (BinarySI, 2^10 … 2^60), or `e`/`E` followed by an optionally signed
    /// int64 exponent (DecimalExponent). ASCII only; no whitespace, `_` or unicode digits.
    /// JSON number text (`"1.5"`, `"-0"`, `"1E+3"`, `"1.0e-2"`) is a subset and reads as DecimalSI
    /// or DecimalExponent.
    ///
    /// Like Kubernetes:
    /// - Values are exact; anything finer than 1n is rounded up in magnitude (away from zero)
    ///   to the next nano-unit: `"0.1n"` → 1n, `"-2e-10"` → -1n.
    /// - A BinarySI value with `0 < |value| < 1` becomes DecimalSI.
    /// - Text with no digits at all (`"m"`, `"+"`, `".Ki"`, `"e3"`) is zero, except that an exponent
    ///   below -9 (`"e-10"`) is rejected, as Kubernetes rejects it (`ErrNumeric`).
    ///
    /// Unlike Kubernetes, which caps, wraps or misreads them:
    /// - A magnitude of 2^63 units or more throws ``QuantityError/overflow``
    ///   (`"8Ei"`, `"1e19"`, `"9223372036854775808"`, `"-9223372036854775808"`).
    /// - An exponent outside Int32 (which Kubernetes silently truncates, reading `"1e4294967296"`
    ///   as 1) throws ``QuantityError/overflow`` if it is positive and the mantissa is non-zero,
    ///   otherwise ``QuantityError/invalid(reason:)``.
    ///
    /// Scans the UTF-8 bytes once (time linear in the length, no regex, no Foundation, no heap
    /// allocation for native strings except error reasons); never traps on any input.
    /// - Throws: ``QuantityError/invalid(reason:)`` or ``QuantityError/overflow``.
    public init(parsing text: String) throws(QuantityError) {
        var text = text
        let result = text.withUTF8 { QuantityParser.parse($0) }
        switch result {
        case .success(let quantity): self = quantity
        case .failure(let error): throw error
        }
    }
}

/// The byte scanner behind ``Quantity/init(parsing:)``.
enum QuantityParser {
    /// How the suffix scales the number: a power of ten, or a power of two (BinarySI).
    private enum Scaling {
        case decimal(exponent: Int64, format: Quantity.Format)
        case binary(shift: Int)
    }

    /// Longest suffix quoted back in an error reason.
    private static let maxQuotedSuffix = 40

    static func parse(_ text: UnsafeBufferPointer<UInt8>) -> Result<Quantity, QuantityError> {
        let end = text.count
        guard end > 0 else { return .failure(.invalid(reason: "empty quantity")) }

        // 1. Shape: sign, integer digits, '.', fraction digits, suffix letters, sign, digits.
        var pos = 0
        var negative = false
        switch text[0] {
        case UInt8(ascii: "-"):
            negative = true
            pos = 1
        case UInt8(ascii: "+"):
            pos = 1
        default:
            break
        }
        let intStart = pos
        while pos < end, isDigit(text[pos]) { pos += 1 }
        let intEnd = pos
        var fracStart = pos
        var fracEnd = pos
        if pos < end, text[pos] == UInt8(ascii: ".") {
            pos += 1
            fracStart = pos
            while pos < end, isDigit(text[pos]) { pos += 1 }
            fracEnd = pos
        }
        let suffixStart = pos
        while pos < end, isSuffixLetter(text[pos]) { pos += 1 }
        if pos < end, text[pos] == UInt8(ascii: "+") || text[pos] == UInt8(ascii: "-") { pos += 1 }
        while pos < end, isDigit(text[pos]) { pos += 1 }
        guard pos == end else { return .failure(.formatWrong) }

        // 2. Suffix.
        let suffix = UnsafeBufferPointer(rebasing: text[suffixStart..<end])
        guard let scaling = interpretSuffix(suffix) else {
            return .failure(.unknownSuffix(quoted(suffix)))
        }
        var format: Quantity.Format
        var decimalExponent: Int64 = 0
        var binaryShift = 0
        switch scaling {
        case .decimal(let exponent, let suffixFormat):
            decimalExponent = exponent
            format = suffixFormat
        case .binary(let shift):
            binaryShift = shift
            format = .binarySI
        }

        // 3. Significant digits: digit(i) indexes integer then fraction digits as one sequence.
        let intLength = intEnd - intStart
        let digitCount = intLength + (fracEnd - fracStart)
        func digit(_ index: Int) -> UInt8 {
            let byte = index < intLength ? text[intStart + index] : text[fracStart + index - intLength]
            return byte &- UInt8(ascii: "0")
        }
        var first = 0
        while first < digitCount && digit(first) == 0 { first += 1 }
        let isZero = first == digitCount

        guard decimalExponent >= Int64(Int32.min) && decimalExponent <= Int64(Int32.max) else {
            if decimalExponent > 0 && !isZero { return .failure(.overflow) }
            return .failure(.invalid(reason: "exponent out of range in suffix \"\(quoted(suffix))\""))
        }
        if digitCount == 0 && decimalExponent < -9 {
            return .failure(.invalid(reason: "unable to parse numeric part of quantity"))
        }
        if isZero {
            return .success(Quantity(validNanoUnits: 0, format: format))
        }
        var last = digitCount  // one past the last non-zero digit
        while digit(last - 1) == 0 { last -= 1 }
        let significantCount = last - first

        // 4. Place the decimal point of the value in nano-units among the significant digits.
        //    point <= 0: all digits are fractional; point >= significantCount: no fraction.
        let point = intLength + Int(decimalExponent) + 9 - first
        // An integer part of 29+ digits is >= 10^28 nano-units, beyond 2^63 units (~9.2 × 10^27).
        if point > 28 { return .failure(.overflow) }

        var integerPart: Int128 = 0
        let integerDigits = min(max(point, 0), significantCount)
        for offset in 0..<integerDigits {
            integerPart = integerPart * 10 + Int128(digit(first + offset))
        }
        if point > significantCount {
            for _ in 0..<(point - significantCount) { integerPart *= 10 }
        }
        let fractionStart = first + max(point, 0)
        let hasFraction = point < significantCount

        var nanoUnits: Int128
        if binaryShift == 0 {
            // The last significant digit is non-zero, so any fraction rounds up to the next 1n.
            nanoUnits = integerPart + (hasFraction ? 1 : 0)
        } else {
            let multiplier = UInt64(1) << UInt64(binaryShift)  // <= 2^60
            let (scaled, wrapped) = integerPart.multipliedReportingOverflow(by: Int128(multiplier))
            if wrapped { return .failure(.overflow) }
            // fraction × 2^shift by schoolbook multiplication from the last digit:
            // `carry` ends as the integer part of the product, `inexact` says whether a fraction remains.
            var carry: UInt64 = 0  // always < multiplier, so digit × multiplier + carry < 10 × 2^60 fits
            var inexact = false
            if hasFraction {
                var index = last
                while index > fractionStart {
                    index -= 1
                    let product = UInt64(digit(index)) * multiplier + carry
                    if product % 10 != 0 { inexact = true }
                    carry = product / 10
                }
                var leadingZeros = point < 0 ? -point : 0
                while leadingZeros > 0 && carry != 0 {
                    if carry % 10 != 0 { inexact = true }
                    carry /= 10
                    leadingZeros -= 1
                }
            }
            nanoUnits = scaled + Int128(carry) + (inexact ? 1 : 0)
        }
        guard nanoUnits < Quantity.nanoUnitsLimit else { return .failure(.overflow) }

        if format == .binarySI && nanoUnits < Quantity.nanoUnitsPerUnit {
            format = .decimalSI  // Kubernetes: BinarySI values strictly between -1 and 1 become DecimalSI
        }
        return .success(Quantity(validNanoUnits: negative ? -nanoUnits : nanoUnits, format: format))
    }

    /// The scaling a suffix denotes (Kubernetes `suffixHandler.interpret`), or `nil` (`ErrSuffix`).
    private static func interpretSuffix(_ suffix: UnsafeBufferPointer<UInt8>) -> Scaling? {
        switch suffix.count {
        case 0:
            return .decimal(exponent: 0, format: .decimalSI)
        case 1:
            let exponent: Int64
            switch suffix[0] {
            case UInt8(ascii: "n"): exponent = -9
            case UInt8(ascii: "u"): exponent = -6
            case UInt8(ascii: "m"): exponent = -3
            case UInt8(ascii: "k"): exponent = 3
            case UInt8(ascii: "M"): exponent = 6
            case UInt8(ascii: "G"): exponent = 9
            case UInt8(ascii: "T"): exponent = 12
            case UInt8(ascii: "P"): exponent = 15
            case UInt8(ascii: "E"): exponent = 18
            default: return nil
            }
            return .decimal(exponent: exponent, format: .decimalSI)
        default:
            break
        }
        if suffix.count == 2 && suffix[1] == UInt8(ascii: "i") {
            switch suffix[0] {
            case UInt8(ascii: "K"): return .binary(shift: 10)
            case UInt8(ascii: "M"): return .binary(shift: 20)
            case UInt8(ascii: "G"): return .binary(shift: 30)
            case UInt8(ascii: "T"): return .binary(shift: 40)
            case UInt8(ascii: "P"): return .binary(shift: 50)
            case UInt8(ascii: "E"): return .binary(shift: 60)
            default: break
            }
        }
        if suffix[0] == UInt8(ascii: "e") || suffix[0] == UInt8(ascii: "E"),
           let exponent = parseInt64(UnsafeBufferPointer(rebasing: suffix[1...])) {
            return .decimal(exponent: exponent, format: .decimalExponent)
        }
        return nil
    }

    /// `[+-]?[0-9]+` as an Int64 (Go `strconv.ParseInt(s, 10, 64)`), or `nil` if malformed or out of range.
    private static func parseInt64(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        var negative = false
        if index < text.count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        guard index < text.count else { return nil }
        var magnitude: UInt64 = 0
        while index < text.count {
            let byte = text[index]
            guard isDigit(byte) else { return nil }
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte &- UInt8(ascii: "0")))
            guard !overflow1 && !overflow2 else { return nil }
            magnitude = sum
            index += 1
        }
        if negative {
            guard magnitude <= Int64.min.magnitude else { return nil }
            return magnitude == Int64.min.magnitude ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// The suffix as text for an error reason, shortened if long (it is ASCII by construction).
    private static func quoted(_ suffix: UnsafeBufferPointer<UInt8>) -> String {
        if suffix.count <= maxQuotedSuffix {
            return String(decoding: suffix, as: UTF8.self)
        }
        return String(decoding: UnsafeBufferPointer(rebasing: suffix[0..<maxQuotedSuffix]), as: UTF8.self) + "…"
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// The letters Kubernetes' scanner collects into a suffix: `eEinumkKMGTP`.
    private static func isSuffixLetter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "i"), UInt8(ascii: "n"),
             UInt8(ascii: "u"), UInt8(ascii: "m"), UInt8(ascii: "k"), UInt8(ascii: "K"),
             UInt8(ascii: "M"), UInt8(ascii: "G"), UInt8(ascii: "T"), UInt8(ascii: "P"):
            return true
        default:
            return false
        }
    }
}
