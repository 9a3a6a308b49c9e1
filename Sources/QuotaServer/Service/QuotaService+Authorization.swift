import JSON
import JSONRPC
import QuotaAuth
import QuotaCore

/// Per-call authorization (issue #6): the caller's role must permit the method, every pool the
/// call touches must lie in the caller's scopes, and a controller acts only on leases it holds.
/// Every check runs before the call changes anything; inside a batch, a forbidden call gets 1008
/// and the others proceed.
extension QuotaService {
    /// Throws 1008 unless the caller's role permits `method`.
    func authorize(method: String, _ context: CallContext) throws(JSONRPCError) {
        guard let principal = context.principal, !principal.role.permits(method) else { return }
        throw .forbidden(principal, method: method, pool: nil, reason: "the \(principal.role.rawValue) role may not call \(method)")
    }

    /// Throws 1008 unless `pool` lies in the caller's scopes.
    func authorize(pool: PoolPath, method: String, _ context: CallContext) throws(JSONRPCError) {
        guard let principal = context.principal, !principal.mayAccess(pool) else { return }
        throw .forbidden(principal, method: method, pool: pool, reason: "pool \(String(reflecting: pool.rawValue)) is outside its pools (\(principal.scopeList))")
    }

    /// Throws 1008 unless the caller may act on `lease`: its pool in scope and, for a controller,
    /// held by the caller itself. A lease outside the caller's pools is refused without naming its
    /// pool, holder or contents.
    /// - Parameter reading: true for `inspect`, where the pool alone decides.
    func authorize(lease: Lease, method: String, _ context: CallContext, reading: Bool = false) throws(JSONRPCError) {
        guard let principal = context.principal else { return }
        guard principal.mayAccess(lease.pool) else {
            throw .forbidden(principal, method: method, pool: nil, reason: "lease \(lease.id) is outside its pools (\(principal.scopeList))")
        }
        guard !reading, principal.role == .controller, lease.holder != principal.name else { return }
        throw .forbidden(principal, method: method, pool: lease.pool, reason: "lease \(lease.id) is held by \(String(reflecting: lease.holder)), not by this controller")
    }

    /// The holder a reserve records: a controller's leases always carry its own name.
    /// - Throws: 1008 when a controller names another holder.
    func holder(requested: String?, method: String, _ context: CallContext) throws(JSONRPCError) -> String {
        guard let principal = context.principal, principal.role == .controller else { return requested ?? "" }
        if let requested, requested != principal.name {
            let shown = requested.utf8.count > 64 ? String(decoding: requested.utf8.prefix(64), as: UTF8.self) + "…" : requested
            throw .forbidden(principal, method: method, pool: nil, reason: "a controller holds leases only as itself (\(String(reflecting: principal.name))), not as \(String(reflecting: shown))")
        }
        return principal.name
    }

    /// The pools a caller may see, for `inspect {}`.
    func visible(_ views: [PoolView], _ context: CallContext) -> [PoolView] {
        guard let principal = context.principal, !principal.isUnscoped else { return views }
        return views.filter { principal.mayAccess($0.name) }
    }
}

extension JSONRPCError {
    /// 1008 Forbidden: the caller is authenticated but may not make this call. Domain code in
    /// quotad's range 1001–1099.
    static func forbidden(_ principal: Principal, method: String, pool: PoolPath?, reason: String) -> JSONRPCError {
        var data: JSONObject = ["principal": .string(principal.name), "role": .string(principal.role.rawValue), "method": .string(method)]
        if let pool { data.append("pool", .string(pool.rawValue)) }
        data.append("reason", .string(reason))
        return JSONRPCError(code: 1008, message: "Forbidden: \(principal.name) may not call \(method): \(reason)", data: .object(data))
    }

    /// -32002 Unauthorized: no or an unknown credential (HTTP 401); the request was not read.
    /// Server-defined code in the range JSON-RPC 2.0 section 5.1 leaves to implementations.
    static func unauthorized(_ reason: String) -> JSONRPCError {
        JSONRPCError(code: -32002, message: "Unauthorized: \(reason)", data: ["reason": .string(reason)])
    }
}

extension Principal {
    /// Its pools as messages show them: `c1, c2/ns`.
    var scopeList: String { scopes.map(\.description).joined(separator: ", ") }
}
