import CCrypto

/// The SHA-256 of a bearer token (FIPS 180-4, through OpenSSL's libcrypto). quotad stores and
/// compares only digests, never tokens.
public struct TokenDigest: Sendable, Equatable {
    /// The 32 digest bytes.
    public let bytes: [UInt8]

    /// The digest of a token.
    /// - Parameter token: the token as sent after `Bearer `.
    public init(of token: String) {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let input = Array(token.utf8)
        let ok = input.withUnsafeBytes { raw in
            EVP_Digest(raw.baseAddress, raw.count, &digest, &length, EVP_sha256(), nil)
        }
        // EVP_Digest of a built-in digest into a large enough buffer fails only without memory.
        precondition(ok == 1 && length == 32, "SHA-256 through libcrypto failed")
        self.bytes = Array(digest[0..<32])
    }

    /// Reads 64 hexadecimal digits, either case.
    /// - Throws: ``TokensFileError`` naming the value when it is not 64 hex digits.
    public init(hex: String) throws(TokensFileError) {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else {
            throw TokensFileError("must be 64 hexadecimal digits, the SHA-256 of the token (got \(digits.count) characters)")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for index in stride(from: 0, to: 64, by: 2) {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else {
                throw TokensFileError("must be 64 hexadecimal digits, the SHA-256 of the token (found a non-hex character)")
            }
            bytes.append(high << 4 | low)
        }
        self.bytes = bytes
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Compares in time that does not depend on where the digests differ (OpenSSL's CRYPTO_memcmp).
    public func constantTimeEquals(_ other: TokenDigest) -> Bool {
        guard bytes.count == other.bytes.count else { return false }
        return bytes.withUnsafeBytes { left in
            other.bytes.withUnsafeBytes { right in
                CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0
            }
        }
    }

    /// Lower-case hex, for `quotad`'s own tools and tests (never for logs).
    public var hex: String {
        bytes.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }
}
