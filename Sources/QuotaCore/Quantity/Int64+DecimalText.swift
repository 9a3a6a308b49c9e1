extension Int64 {
    /// Appends the value in decimal, as `String(self)` writes it (and as a JSON number), without
    /// making a `String`: quantity, timestamp and revision text is on every answer (issue #8).
    /// - Parameter bytes: The buffer to append to.
    public func appendDecimal(to bytes: inout [UInt8]) {
        if self < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = self.magnitude
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
}
