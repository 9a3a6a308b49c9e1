/// What a method handler knows about the call besides its params. Empty for now; the place where
/// the caller's identity will go.
public struct CallContext: Sendable {
    public init() {}
}
