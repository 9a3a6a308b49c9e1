/// A lease's key: a UUID in RFC 4122 text form, e.g. a VMI's `metadata.uid`.
///
/// Accepted in any case and stored lower-case, so `6F1C…` and `6f1c…` name the same lease.
public struct LeaseID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The lower-case text form, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    public let rawValue: String

    /// Validates a UUID.
    /// - Parameter text: 36 characters: 32 hex digits in groups of 8-4-4-4-12, joined by `-`.
    /// - Throws: ``InvalidValue`` when the text is not of that form.
    public init(_ text: String) throws(InvalidValue) {
        var lowered: [UInt8] = []
        lowered.reserveCapacity(36)
        for (offset, byte) in text.utf8.enumerated() {
            let isDashPosition = offset == 8 || offset == 13 || offset == 18 || offset == 23
            if isDashPosition {
                guard byte == UInt8(ascii: "-") else { lowered = []; break }
                lowered.append(byte)
            } else if (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f")) {
                lowered.append(byte)
            } else if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F") {
                lowered.append(byte + 32)
            } else {
                lowered = []
                break
            }
        }
        guard lowered.count == 36, text.utf8.count == 36 else {
            throw InvalidValue("lease \(String(reflecting: text)) must be a UUID in RFC 4122 text form (8-4-4-4-12 hex digits)")
        }
        self.rawValue = String(decoding: lowered, as: UTF8.self)
    }

    public var description: String { rawValue }

    public static func < (lhs: LeaseID, rhs: LeaseID) -> Bool { lhs.rawValue < rhs.rawValue }
}
