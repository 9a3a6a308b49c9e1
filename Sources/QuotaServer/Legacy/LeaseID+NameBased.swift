import CCrypto
import QuotaCore

extension LeaseID {
    /// The namespace of quotad's name-based lease ids (a UUID chosen once for quotad; changing it
    /// would change every derived id).
    static let legacyNamespace: [UInt8] = [
        0x6b, 0x1f, 0x0c, 0x52, 0x9a, 0x3e, 0x4d, 0x07, 0x8e, 0x51, 0x2c, 0x7a, 0xd4, 0x90, 0x3b, 0x16,
    ]

    /// A name-based UUID, version 5 (SHA-1), RFC 9562 section 5.5: the same name always gives the
    /// same id. quotad derives the lease id of a legacy name-keyed migration from
    /// `"<pool>/<vmName>"` when the VMI's UID is unknown (issue #5).
    /// - Parameters:
    ///   - namespace: the namespace UUID's 16 bytes; quotad's own, ``legacyNamespace``, by default.
    ///   - name: the name, hashed as its UTF-8 bytes after the namespace.
    /// - Returns: the lease id.
    static func nameBased(namespace: [UInt8] = legacyNamespace, _ name: String) -> LeaseID {
        let input = namespace + Array(name.utf8)
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = input.withUnsafeBytes { bytes in
            EVP_Digest(bytes.baseAddress, bytes.count, &digest, &length, EVP_sha1(), nil)
        }
        // EVP_Digest of a built-in digest into a large enough buffer cannot fail short of memory exhaustion.
        precondition(ok == 1 && length == 20, "SHA-1 through libcrypto failed")
        var uuid = Array(digest[0..<16])
        uuid[6] = (uuid[6] & 0x0f) | 0x50
        uuid[8] = (uuid[8] & 0x3f) | 0x80
        let hex = uuid.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
        let groups = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        // 32 hex digits in 8-4-4-4-12 form are always a valid LeaseID.
        return try! LeaseID(groups.joined(separator: "-"))
    }
}
