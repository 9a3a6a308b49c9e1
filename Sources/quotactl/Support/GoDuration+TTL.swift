import QuotaCore

extension GoDuration {
    /// Parses a TTL: a duration of whole seconds, at least 1 s.
    /// - Parameter flag: the flag's name, for messages (`--ttl`).
    /// - Returns: the TTL in seconds.
    /// - Throws: ``CommandFailure`` naming the flag and the text.
    static func seconds(_ text: String, flag: String = "--ttl") throws(CommandFailure) -> Int {
        let nanoseconds: Int64
        do {
            nanoseconds = try GoDuration.nanoseconds(text)
        } catch {
            throw CommandFailure("\(flag): \(error.reason)")
        }
        guard nanoseconds % 1_000_000_000 == 0 else {
            throw CommandFailure("\(flag): invalid duration \"\(text)\": must be a whole number of seconds")
        }
        guard nanoseconds > 0 else { throw CommandFailure("\(flag): invalid duration \"\(text)\": must be at least 1s") }
        return Int(nanoseconds / 1_000_000_000)
    }
}
