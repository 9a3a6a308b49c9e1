/// Appends `value` in decimal, as `String(value)` writes it, without making a `String` (quantity
/// and timestamp text is on every answer, issue #8).
/// - Parameters:
///   - value: Any 64-bit integer.
///   - bytes: The buffer to append to.
func appendDecimal(_ value: Int64, to bytes: inout [UInt8]) {
    if value < 0 { bytes.append(UInt8(ascii: "-")) }
    var magnitude = value.magnitude
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
        var start = 20
        repeat {
            start -= 1
            digits[start] = UInt8(ascii: "0") &+ UInt8(magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
    }
}
