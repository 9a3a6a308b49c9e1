import JSON
import JSONRPC
import QuotaAuth
import QuotaCore

/// The method table. Each handler validates every param (and rejects unknown ones) before it changes
/// anything, so a bad call never half-applies.
extension QuotaService {
    func registerMethods() {
        register("setPool") { service, params, context throws(JSONRPCError) in try service.setPool(&params, context) }
        register("deletePool") { service, params, context throws(JSONRPCError) in try service.deletePool(&params, context) }
        register("reserve") { service, params, context throws(JSONRPCError) in try service.reserve(&params, context) }
        register("release") { service, params, context throws(JSONRPCError) in try service.release(&params, context) }
        register("renew") { service, params, context throws(JSONRPCError) in try service.renew(&params, context) }
        register("reconcile") { service, params, context throws(JSONRPCError) in try service.reconcile(&params, context) }
        register("inspect") { service, params, context throws(JSONRPCError) in try service.inspect(&params, context) }
        register("importAnnotations") { service, params, context throws(JSONRPCError) in try service.importAnnotations(&params, context) }
        register("rpc.discover") { service, params, context throws(JSONRPCError) in
            try params.rejectUnknown()
            try context.budget?.check("rpc.discover")
            context.budget?.spend(RequestBudget.discoverCost)
            return service.openRPCDocument
        }
    }

    /// Registers a method whose caller's role is checked before its handler runs.
    private func register(
        _ method: String,
        _ handler: @escaping @Sendable (QuotaService, inout Params, CallContext) throws(JSONRPCError) -> JSONValue
    ) {
        dispatcher.register(method) { [unowned self] params, context throws(JSONRPCError) in
            try self.authorize(method: method, context)
            return try handler(self, &params, context)
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
    func setPool(_ params: inout Params, _ context: CallContext) throws(JSONRPCError) -> JSONValue {
        let path = try params.poolPath()
        try authorize(pool: path, method: "setPool", context)
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
    func deletePool(_ params: inout Params, _ context: CallContext) throws(JSONRPCError) -> JSONValue {
        let path = try params.poolPath()
        try authorize(pool: path, method: "deletePool", context)
        try params.rejectUnknown()
        try core { () throws(QuotaError) in try ledger.deletePool(path) }
        return ["deleted": true, "revision": ledger.revision.json]
    }

    /// `reserve {pool, lease, resources, ttlSeconds?, holder?, labels?, dryRun?}` →
    /// `{lease, created, pool, revision, dryRun}`.
    /// A controller's lease is held by the controller itself.
    func reserve(_ params: inout Params, _ context: CallContext) throws(JSONRPCError) -> JSONValue {
        let request = ReserveRequest(
            lease: try params.leaseID(),
            pool: try params.poolPath(),
            resources: try params.resourceList("resources"),
            ttlSeconds: try params.optionalInteger("ttlSeconds", in: Ledger.ttlRange) ?? Ledger.defaultTTLSeconds,
            holder: try holder(requested: try params.optionalString("holder"), method: "reserve", context),
            labels: try params.labels(),
            dryRun: try params.optionalBool("dryRun") ?? false,
            expectedRevision: try params.optionalInteger("expectedRevision", in: 0...Int64.max)
        )
        try params.rejectUnknown()
        try authorize(pool: request.pool, method: "reserve", context)
        // Also an ended lease: another scope's id is not taken over while it is remembered.
        if let existing = ledger.leases[request.lease] {
            try authorize(lease: existing, method: "reserve", context, reading: existing.state != .active)
        }
        let now = clock.now()
        // Leases past their deadline whose sweep has not run yet give their room back first
        // (a dryRun changes nothing, so it leaves them to the sweep).
        if !request.dryRun { _ = ledger.expireDue(now: now, limit: Self.expirySliceSize) }
        let outcome: ReserveOutcome
        do {
            outcome = try ledger.reserve(request, now: now)
        } catch {
            // A denial by an ancestor outside the caller's pools would show that pool's headroom.
            if case .insufficientHeadroom(let denial) = error, let principal = context.principal, !principal.mayAccess(denial.pool) {
                throw JSONRPCError(
                    code: error.code,
                    message: "InsufficientHeadroom: pool \(String(reflecting: request.pool.rawValue)) is in a pool outside your pools that lacks room",
                    data: ["pool": .string(request.pool.rawValue), "requested": request.resources.json, "outsideScope": true]
                )
            }
            throw error.jsonRPCError
        }
        return [
            "lease": outcome.lease.json, "created": .bool(outcome.created), "pool": outcome.pool.json,
            "revision": ledger.revision.json, "dryRun": .bool(request.dryRun),
        ]
    }

    /// `release {lease, expectedRevision?}` or `release {pool, vmName, expectedRevision?}` →
    /// `{released, state, lease | null, pool | null, revision}`. By name, 1009 when the name is
    /// ambiguous; no active lease of that name answers like an unknown id.
    func release(_ params: inout Params, _ context: CallContext) throws(JSONRPCError) -> JSONValue {
        let now = clock.now()
        let id: LeaseID?
        if params.contains("pool") || params.contains("vmName") {
            let pool = try params.poolPath()
            let vmName = try params.vmName()
            try authorize(pool: pool, method: "release", context)
            id = try core { () throws(QuotaError) in try ledger.activeLease(in: pool, vmName: vmName, now: now)?.id }
        } else {
            guard params.contains("lease") else { throw .invalidParams(field: "lease", reason: "required, or pool and vmName in its place") }
            id = try params.leaseID()
        }
        let expectedRevision = try params.optionalInteger("expectedRevision", in: 0...Int64.max)
        try params.rejectUnknown()
        guard let id else {
            return ["released": false, "state": "unknown", "lease": .null, "pool": .null, "revision": ledger.revision.json]
        }
        if let lease = ledger.leases[id] { try authorize(lease: lease, method: "release", context) }
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
    func renew(_ params: inout Params, _ context: CallContext) throws(JSONRPCError) -> JSONValue {
        let id = try params.leaseID()
        let ttl = try params.optionalInteger("ttlSeconds", in: Ledger.ttlRange)
        let expectedRevision = try params.optionalInteger("expectedRevision", in: 0...Int64.max)
        try params.rejectUnknown()
        if let lease = ledger.leases[id] { try authorize(lease: lease, method: "renew", context) }
        let now = clock.now()
        let lease = try core { () throws(QuotaError) in
            try ledger.renew(id, ttlSeconds: ttl, expectedRevision: expectedRevision, now: now)
        }
        return ["lease": lease.json, "revision": ledger.revision.json]
    }

    /// `reconcile {holder, pool?, leases}` → `{released: [Lease], revision}`: releases every active
    /// lease of `holder` in `pool` or below it (every pool when absent) that `leases` does not name.
    /// A controller reconciles only its own leases, in its own pools.
    func reconcile(_ params: inout Params, _ context: CallContext) throws(JSONRPCError) -> JSONValue {
        let holder = try holder(requested: try params.string("holder"), method: "reconcile", context)
        let prefix = try params.optionalPoolPath("pool")
        var keep = Set<LeaseID>()
        for (index, element) in try params.array("leases").enumerated() {
            guard case .string(let text) = element, let id = try? LeaseID(text) else {
                throw .invalidParams(field: "leases[\(index)]", reason: "must be a lease UUID in RFC 4122 text form (got \(element.errorDescription))")
            }
            keep.insert(id)
        }
        try params.rejectUnknown()
        if let prefix { try authorize(pool: prefix, method: "reconcile", context) }
        try context.budget?.check("reconcile")
        context.budget?.spend(ledger.leases.count)
        // A scoped caller without a pool reconciles within each of its scopes.
        var prefixes: [PoolPath?] = [prefix]
        if prefix == nil, let principal = context.principal, !principal.isUnscoped {
            prefixes = principal.scopes.compactMap { scope in
                if case .prefix(let path) = scope { return path }
                return nil
            }
        }
        let now = clock.now()
        let released = prefixes.flatMap { ledger.reconcile(holder: holder, under: $0, keeping: keep, now: now) }
        return ["released": .array(released.map(\.json)), "revision": ledger.revision.json]
    }

    /// `inspect {labelSelector?}` → `{pools, totals, revision}`;
    /// `inspect {pool, includeLeases?}` → `{pool, children, leases?, revision}`;
    /// `inspect {pool, vmName}` and `inspect {lease}` → `{lease, revision}`.
    /// A scoped caller sees only its pools, and totals count only those.
    func inspect(_ params: inout Params, _ context: CallContext) throws(JSONRPCError) -> JSONValue {
        if params.contains("lease") {
            let id = try params.leaseID()
            try params.rejectUnknown()
            guard let lease = ledger.leases[id] else { throw QuotaError.leaseNotFound(id).jsonRPCError }
            try authorize(lease: lease, method: "inspect", context, reading: true)
            return ["lease": shown(lease).json, "revision": ledger.revision.json]
        }
        if params.contains("pool") || params.contains("vmName") {
            let path = try params.poolPath()
            try authorize(pool: path, method: "inspect", context)
            if params.contains("vmName") {
                let vmName = try params.vmName()
                try params.rejectUnknown()
                let now = clock.now()
                let lease = try core { () throws(QuotaError) in
                    guard let lease = try ledger.activeLease(in: path, vmName: vmName, now: now) else {
                        throw .leaseNameNotFound(pool: path, vmName: vmName)
                    }
                    return lease
                }
                return ["lease": lease.json, "revision": ledger.revision.json]
            }
            let includeLeases = try params.optionalBool("includeLeases") ?? false
            try params.rejectUnknown()
            try context.budget?.check("inspect")
            guard let view = ledger.view(of: path) else { throw QuotaError.poolNotFound(path).jsonRPCError }
            let children = ledger.childViews(of: path)
            var result: JSONObject = ["pool": view.json, "children": .array(children.map(\.json))]
            context.budget?.spend(1 + children.count)
            if includeLeases {
                let leases = ledger.activeLeases(chargedTo: path)
                context.budget?.spend(leases.count)
                result.append("leases", .array(leases.map(\.json)))
            }
            result.append("revision", ledger.revision.json)
            return .object(result)
        }
        let selector = try params.labelSelector()
        try params.rejectUnknown()
        try context.budget?.check("inspect")
        let views = visible(ledger.views(matching: selector), context)
        context.budget?.spend(max(1, views.count))
        let totals = PoolTotals.summing(views)
        return ["pools": .array(views.map(\.json)), "totals": totals.json, "revision": ledger.revision.json]
    }

    /// A lease as `inspect` shows it: active but past its deadline reads as expired, even before
    /// the sweep has run.
    private func shown(_ lease: Lease) -> Lease {
        var shown = lease
        if shown.state == .active && shown.expiresAt <= clock.now() { shown.state = .expired }
        return shown
    }

    /// `importAnnotations {pool, annotations, vmis?, holder?, ttlSeconds?}` →
    /// `{imported, existing, ignored, pool, revision}`: legacy Harvester migration annotations of a
    /// ResourceQuota become active leases (issue #5). Annotations that are not migration entries are
    /// listed in `ignored`.
    func importAnnotations(_ params: inout Params, _ context: CallContext) throws(JSONRPCError) -> JSONValue {
        let pool = try params.poolPath()
        try authorize(pool: pool, method: "importAnnotations", context)
        let annotations = try params.object("annotations")
        if annotations.count > Self.maxAnnotations {
            throw .invalidParams(field: "annotations", reason: "has \(annotations.count) entries; at most \(Self.maxAnnotations) are allowed")
        }
        var vmis: [String: LeaseID] = [:]
        for (name, value) in (try params.optionalObject("vmis"))?.members ?? [] {
            let field = "vmis[\(String(reflecting: name))]"
            guard case .string(let text) = value, let id = try? LeaseID(text) else {
                throw .invalidParams(field: field, reason: "must be the VMI's metadata.uid, a UUID in RFC 4122 text form (got \(value.errorDescription))")
            }
            vmis[name] = id
        }
        let holder = try params.optionalString("holder") ?? ""
        let ttlSeconds = try params.optionalInteger("ttlSeconds", in: Ledger.ttlRange) ?? Ledger.defaultTTLSeconds
        try params.rejectUnknown()

        var entries: [LegacyMigration.Entry] = []
        var ignored: [JSONValue] = []
        for (key, value) in annotations.members {
            let field = "annotations[\(String(reflecting: key))]"
            let parsed: LegacyAnnotationKey?
            do {
                parsed = try LegacyAnnotationKey(key)
            } catch {
                throw .invalidParams(field: field, reason: error.reason)
            }
            guard let parsed else {
                ignored.append(.string(key))
                continue
            }
            entries.append(LegacyMigration.Entry(annotation: key, key: parsed, resources: try Self.annotationResources(value, field: field)))
        }
        let now = clock.now()
        let migrations = try core { () throws(QuotaError) in
            try LegacyMigration.merging(entries, vmis: vmis) { vmName in
                LeaseID.nameBased("\(pool.rawValue)/\(vmName)")
            }
        }
        // A lease known under one of the ids may lie outside the caller's pools: say so, and no more.
        for migration in migrations {
            if let known = ledger.leases[migration.lease] { try authorize(lease: known, method: "importAnnotations", context) }
        }
        let outcome = try core { () throws(QuotaError) in
            try ledger.importMigrations(migrations, into: pool, holder: holder, ttlSeconds: ttlSeconds, now: now)
        }
        return [
            "imported": .array(outcome.imported.map(\.json)),
            "existing": .array(outcome.existing.map { shown($0).json }),
            "ignored": .array(ignored),
            "pool": outcome.pool.json,
            "revision": ledger.revision.json,
        ]
    }

    /// The most annotations one `importAnnotations` call may carry.
    static let maxAnnotations = 4096

    /// Reads a legacy annotation's value: a string holding a ResourceList as JSON,
    /// `{"limits.cpu":"1","limits.memory":"1456469952"}`.
    /// - Throws: -32602 naming `field` when it is not a string, not JSON, not an object, or has a bad entry.
    private static func annotationResources(_ value: JSONValue, field: String) throws(JSONRPCError) -> ResourceList {
        guard case .string(let text) = value else {
            throw .invalidParams(field: field, reason: "must be a string holding a ResourceList as JSON (got \(value.errorDescription))")
        }
        let parsed: JSONValue
        do {
            parsed = try JSONReader.parse(text, maxDepth: 4)
        } catch {
            throw .invalidParams(field: field, reason: "is not JSON: \(error)")
        }
        guard case .object(let object) = parsed else {
            throw .invalidParams(field: field, reason: "must hold a JSON object of quantities (got \(parsed.errorDescription))")
        }
        if let duplicate = object.duplicateKey {
            throw .invalidParams(field: field, reason: "names \(String(reflecting: duplicate)) twice")
        }
        return try Params.resourceList(from: object, field: field)
    }
}
