import JSON
import JSONRPC
import QuotaCore

/// The method table. Each handler validates every param (and rejects unknown ones) before it changes
/// anything, so a bad call never half-applies.
extension QuotaService {
    func registerMethods() {
        dispatcher.register("setPool") { [unowned self] params, _ throws(JSONRPCError) in try self.setPool(&params) }
        dispatcher.register("deletePool") { [unowned self] params, _ throws(JSONRPCError) in try self.deletePool(&params) }
        dispatcher.register("reserve") { [unowned self] params, _ throws(JSONRPCError) in try self.reserve(&params) }
        dispatcher.register("release") { [unowned self] params, _ throws(JSONRPCError) in try self.release(&params) }
        dispatcher.register("renew") { [unowned self] params, _ throws(JSONRPCError) in try self.renew(&params) }
        dispatcher.register("reconcile") { [unowned self] params, _ throws(JSONRPCError) in try self.reconcile(&params) }
        dispatcher.register("inspect") { [unowned self] params, _ throws(JSONRPCError) in try self.inspect(&params) }
        dispatcher.register("rpc.discover") { [unowned self] params, _ throws(JSONRPCError) in
            try params.rejectUnknown()
            return self.openRPCDocument
        }
    }

    /// Runs a core call, mapping its domain error to JSON-RPC.
    private func core<T>(_ body: () throws(QuotaError) -> T) throws(JSONRPCError) -> T {
        do {
            return try body()
        } catch {
            throw error.jsonRPCError
        }
    }

    /// `setPool {pool, capacity, maxLeases?, base?, labels?}` → `{pool, created, revision}`.
    func setPool(_ params: inout Params) throws(JSONRPCError) -> JSONValue {
        let path = try params.poolPath()
        let capacity = try params.resourceList("capacity")
        let maxLeases = try params.optionalInteger("maxLeases", in: 0...Int64(Int32.max))
        let base = try params.optionalResourceList("base")
        let labels = try params.labels()
        try params.rejectUnknown()
        let outcome = try core { () throws(QuotaError) in
            try ledger.setPool(path, capacity: capacity, maxLeases: maxLeases, base: base, labels: labels)
        }
        return ["pool": outcome.pool.json, "created": .bool(outcome.created), "revision": ledger.revision.json]
    }

    /// `deletePool {pool}` → `{deleted: true, revision}`.
    func deletePool(_ params: inout Params) throws(JSONRPCError) -> JSONValue {
        let path = try params.poolPath()
        try params.rejectUnknown()
        try core { () throws(QuotaError) in try ledger.deletePool(path) }
        return ["deleted": true, "revision": ledger.revision.json]
    }

    /// `reserve {pool, lease, resources, ttlSeconds?, holder?, labels?, dryRun?}` →
    /// `{lease, created, pool, revision, dryRun}`.
    func reserve(_ params: inout Params) throws(JSONRPCError) -> JSONValue {
        let request = ReserveRequest(
            lease: try params.leaseID(),
            pool: try params.poolPath(),
            resources: try params.resourceList("resources"),
            ttlSeconds: try params.optionalInteger("ttlSeconds", in: Ledger.ttlRange) ?? Ledger.defaultTTLSeconds,
            holder: try params.optionalString("holder") ?? "",
            labels: try params.labels(),
            dryRun: try params.optionalBool("dryRun") ?? false,
            expectedRevision: try params.optionalInteger("expectedRevision", in: 0...Int64.max)
        )
        try params.rejectUnknown()
        let now = clock.now()
        // Leases past their deadline whose sweep has not run yet give their room back first
        // (a dryRun changes nothing, so it leaves them to the sweep).
        if !request.dryRun { _ = ledger.expireDue(now: now, limit: Self.expirySliceSize) }
        let outcome = try core { () throws(QuotaError) in try ledger.reserve(request, now: now) }
        return [
            "lease": outcome.lease.json, "created": .bool(outcome.created), "pool": outcome.pool.json,
            "revision": ledger.revision.json, "dryRun": .bool(request.dryRun),
        ]
    }

    /// `release {lease, expectedRevision?}` → `{released, state, lease | null, pool | null, revision}`.
    func release(_ params: inout Params) throws(JSONRPCError) -> JSONValue {
        let id = try params.leaseID()
        let expectedRevision = try params.optionalInteger("expectedRevision", in: 0...Int64.max)
        try params.rejectUnknown()
        let now = clock.now()
        let outcome = try core { () throws(QuotaError) in
            if let expectedRevision { return try ledger.release(id, expectedRevision: expectedRevision, now: now) }
            return ledger.release(id, now: now)
        }
        return [
            "released": .bool(outcome.released),
            "state": .string(outcome.state?.rawValue ?? "unknown"),
            "lease": outcome.lease?.json ?? .null,
            "pool": outcome.pool?.json ?? .null,
            "revision": ledger.revision.json,
        ]
    }

    /// `renew {lease, ttlSeconds?, expectedRevision?}` → `{lease, revision}`.
    func renew(_ params: inout Params) throws(JSONRPCError) -> JSONValue {
        let id = try params.leaseID()
        let ttl = try params.optionalInteger("ttlSeconds", in: Ledger.ttlRange)
        let expectedRevision = try params.optionalInteger("expectedRevision", in: 0...Int64.max)
        try params.rejectUnknown()
        let now = clock.now()
        let lease = try core { () throws(QuotaError) in
            try ledger.renew(id, ttlSeconds: ttl, expectedRevision: expectedRevision, now: now)
        }
        return ["lease": lease.json, "revision": ledger.revision.json]
    }

    /// `reconcile {holder, pool?, leases}` → `{released: [Lease], revision}`: releases every active
    /// lease of `holder` in `pool` or below it (every pool when absent) that `leases` does not name.
    func reconcile(_ params: inout Params) throws(JSONRPCError) -> JSONValue {
        let holder = try params.string("holder")
        let prefix = try params.optionalPoolPath("pool")
        var keep = Set<LeaseID>()
        for (index, element) in try params.array("leases").enumerated() {
            guard case .string(let text) = element, let id = try? LeaseID(text) else {
                throw .invalidParams(field: "leases[\(index)]", reason: "must be a lease UUID in RFC 4122 text form (got \(element.errorDescription))")
            }
            keep.insert(id)
        }
        try params.rejectUnknown()
        let released = ledger.reconcile(holder: holder, under: prefix, keeping: keep, now: clock.now())
        return ["released": .array(released.map(\.json)), "revision": ledger.revision.json]
    }

    /// `inspect {}` → `{pools, revision}`; `inspect {pool, includeLeases?}` → `{pool, leases?, revision}`;
    /// `inspect {lease}` → `{lease, revision}`.
    func inspect(_ params: inout Params) throws(JSONRPCError) -> JSONValue {
        if params.contains("lease") {
            let id = try params.leaseID()
            try params.rejectUnknown()
            guard let lease = ledger.leases[id] else { throw QuotaError.leaseNotFound(id).jsonRPCError }
            var shown = lease
            if shown.state == .active && shown.expiresAt <= clock.now() { shown.state = .expired }
            return ["lease": shown.json, "revision": ledger.revision.json]
        }
        if params.contains("pool") {
            let path = try params.poolPath()
            let includeLeases = try params.optionalBool("includeLeases") ?? false
            try params.rejectUnknown()
            guard let view = ledger.view(of: path) else { throw QuotaError.poolNotFound(path).jsonRPCError }
            var result: JSONObject = ["pool": view.json]
            if includeLeases {
                result.append("leases", .array(ledger.activeLeases(chargedTo: path).map(\.json)))
            }
            result.append("revision", ledger.revision.json)
            return .object(result)
        }
        try params.rejectUnknown()
        return ["pools": .array(ledger.allViews().map(\.json)), "revision": ledger.revision.json]
    }
}
