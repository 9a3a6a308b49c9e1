import QuotaAuth

/// A cheap guess, from a request body's bytes, of whether its calls can only read: every
/// `"method"` member names `inspect` or `rpc.discover`, written plainly. A replica on PostgreSQL
/// answers such requests in a read-only snapshot without taking the revision row's lock
/// (``ReplicaCycle``), so reads go on while writers hold it, and on a read-only database.
///
/// Only a hint: a request guessed read-only that changes something anyway (an escaped method
/// name, say) is noticed by the ledger's journal, undone, and run again under the lock.
enum ReadOnlyCalls {
    /// A reader's methods (``QuotaAuth/Role/readMethods``), each as a quoted JSON string.
    static let readMethods: [[UInt8]] = Role.readMethods.map { Array("\"\($0)\"".utf8) }
    static let methodKey = Array(#""method""#.utf8)

    /// True when the body may change the ledger (the safe answer when in doubt).
    /// - Parameter body: a JSON-RPC request body, a call or a batch; not validated here.
    static func mayWrite(_ body: [UInt8]) -> Bool {
        var found = false
        var index = 0
        while let key = firstIndex(of: methodKey, in: body, from: index) {
            var cursor = key + methodKey.count
            skipSpaces(body, &cursor)
            guard cursor < body.count, body[cursor] == UInt8(ascii: ":") else {
                // "method" as a value, not a key: look further.
                index = key + 1
                continue
            }
            cursor += 1
            skipSpaces(body, &cursor)
            guard readMethods.contains(where: { matches($0, in: body, at: cursor) }) else { return true }
            found = true
            index = cursor
        }
        return !found
    }

    private static func skipSpaces(_ body: [UInt8], _ cursor: inout Int) {
        while cursor < body.count, [0x20, 0x09, 0x0A, 0x0D].contains(body[cursor]) { cursor += 1 }
    }

    private static func matches(_ needle: [UInt8], in body: [UInt8], at start: Int) -> Bool {
        guard start + needle.count <= body.count else { return false }
        for offset in 0..<needle.count where body[start + offset] != needle[offset] { return false }
        return true
    }

    private static func firstIndex(of needle: [UInt8], in body: [UInt8], from start: Int) -> Int? {
        guard needle.count <= body.count else { return nil }
        var index = start
        while index + needle.count <= body.count {
            if body[index] == needle[0], matches(needle, in: body, at: index) { return index }
            index += 1
        }
        return nil
    }
}
