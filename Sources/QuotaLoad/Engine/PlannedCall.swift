/// One JSON-RPC call a controller has put into a request, and what it expects back.
struct PlannedCall {
    var operation: LoadOperation
    /// The lease the call names (fresh for ``LoadOperation/reserve``); nil for inspect.
    var lease: HeldLease?
    /// The pool the call names.
    var pool: String
}
