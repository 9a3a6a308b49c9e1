import QuotaAuth

/// What a method handler knows about the call besides its params: who makes it.
public struct CallContext: Sendable {
    /// The authenticated caller, or nil when quotad runs without `--tokens` (every call allowed).
    public var principal: Principal?

    /// - Parameter principal: the caller; nil when authentication is off.
    public init(principal: Principal? = nil) {
        self.principal = principal
    }
}
