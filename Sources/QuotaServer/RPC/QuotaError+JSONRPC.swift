import JSON
import JSONRPC
import QuotaCore

extension QuotaError {
    /// The JSON-RPC error object for this domain error; `data` carries what a caller needs to act.
    var jsonRPCError: JSONRPCError {
        switch self {
        case .invalidArgument(let field, let reason):
            return .invalidParams(field: field, reason: reason)
        case .quantityOverflow(let field):
            return .invalidParams(field: field, reason: "the sum leaves the exact range of quantities (|value| < 2^63 units)")
        case .poolNotFound(let pool):
            return JSONRPCError(code: code, message: message, data: ["pool": .string(pool.rawValue)])
        case .insufficientHeadroom(let denial):
            return JSONRPCError(code: code, message: message, data: denial.json)
        case .leaseConflict(let existing):
            return JSONRPCError(code: code, message: message, data: ["lease": existing.json])
        case .leaseNotActive(let id, let state):
            return JSONRPCError(code: code, message: message, data: ["lease": .string(id.rawValue), "state": .string(state?.rawValue ?? "unknown")])
        case .leaseNotFound(let id):
            return JSONRPCError(code: code, message: message, data: ["lease": .string(id.rawValue)])
        case .poolBusy(let pool, let reason):
            return JSONRPCError(code: code, message: message, data: ["pool": .string(pool.rawValue), "reason": .string(reason)])
        case .revisionMismatch(let id, let expected, let actual):
            return JSONRPCError(code: code, message: message, data: ["lease": .string(id.rawValue), "expected": expected.json, "actual": actual.json])
        case .leaseNameNotFound(let pool, let vmName):
            return JSONRPCError(code: code, message: message, data: ["pool": .string(pool.rawValue), "vmName": .string(vmName)])
        case .ambiguous(let pool, let vmName, let leases):
            return JSONRPCError(code: code, message: message, data: [
                "pool": .string(pool.rawValue), "vmName": .string(vmName), "leases": .array(leases.map { .string($0.rawValue) }),
            ])
        }
    }
}

extension JSONRPCError {
    /// -32001: the store could not commit; nothing of the change was applied. Server-defined code in
    /// the range JSON-RPC 2.0 section 5.1 leaves to implementations (-32000 to -32099).
    static func storeUnavailable(_ detail: String) -> JSONRPCError {
        JSONRPCError(code: -32001, message: "store unavailable: \(detail)", data: ["reason": .string(detail)])
    }
}
