import QuotaAuth

/// What a method handler knows about the call besides its params: who makes it, and what its
/// HTTP request may still list.
public struct CallContext: Sendable {
    /// The authenticated caller, or nil when quotad runs without `--tokens` (every call allowed).
    public var principal: Principal?
    /// What the HTTP request may still list, shared by the calls of a batch; nil for no limit.
    public var budget: RequestBudget?

    /// - Parameters:
    ///   - principal: the caller; nil when authentication is off.
    ///   - budget: the request's listing budget; nil for no limit.
    public init(principal: Principal? = nil, budget: RequestBudget? = nil) {
        self.principal = principal
        self.budget = budget
    }
}
