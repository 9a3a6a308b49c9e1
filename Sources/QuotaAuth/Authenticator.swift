/// Finds the principal behind a request's credentials (issue #6).
public struct Authenticator: Sendable {
    public let tokens: TokensFile

    public init(tokens: TokensFile) {
        self.tokens = tokens
    }

    /// The principal whose token this is. The token's SHA-256 is compared with every principal's
    /// in constant time, and all of them are compared, so the time taken says nothing about
    /// which digest, or how much of one, matched.
    /// - Parameter token: the bearer token.
    /// - Returns: the principal, or nil for an unknown token.
    public func principal(bearer token: String) -> Principal? {
        let digest = TokenDigest(of: token)
        var found: Principal?
        for entry in tokens.entries {
            guard let known = entry.tokenSHA256 else { continue }
            if known.constantTimeEquals(digest) { found = entry.principal }
        }
        return found
    }

    /// The principal a verified client certificate names: by its subject CN or one of its DNS SANs.
    /// - Parameter names: the certificate's subject CN and DNS SANs.
    /// - Returns: the first principal whose name is among them, or nil.
    public func principal(certificateNames names: [String]) -> Principal? {
        tokens.entries.first { names.contains($0.principal.name) }?.principal
    }

    /// The credentials of an `Authorization` header value: the token of `Bearer <token>`
    /// (scheme case-insensitive, RFC 6750 section 2.1).
    /// - Parameter header: the header's value.
    /// - Returns: the token, or nil for another scheme or an empty token.
    public static func bearerToken(in header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: [" ", "\t"])
        return token.isEmpty ? nil : token
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        var result = self
        while let first = result.first, set.contains(first) { result.removeFirst() }
        while let last = result.last, set.contains(last) { result.removeLast() }
        return String(result)
    }
}
