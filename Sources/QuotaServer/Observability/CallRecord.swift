import JSON
import JSONRPC

/// What one JSON-RPC call did, for its metrics and its log line: read generically from the call's
/// params, its result or error, and the ledger's revision around it (issue #7), so that methods
/// added later are instrumented without touching their bodies.
struct CallRecord: Sendable {
    /// The method as a metric label: a registered name, `unknown` for any other name (clients
    /// choose names, so they must not choose label values), `invalid` for a refused request.
    var method: String
    /// The JSON-RPC outcome code: 0 for a result, else the error's code. Replaced by -32001 when
    /// the commit the reply waited for failed.
    var code: Int
    /// True when the call changed the ledger (the global revision moved).
    var changed: Bool
    var isNotification: Bool
    /// Who called: the authenticated principal's name; nil without `--tokens` (issue #6's audit).
    var principal: String?
    /// When the call started, on the monotonic clock.
    var started: ContinuousClock.Instant
    /// The pool, lease, holder and `labels.vmName` of the call: from the result's lease when there
    /// is one, else from the params; truncated to ``maxFieldLength`` UTF-8 bytes.
    var pool: String?
    var lease: String?
    var holder: String?
    var vmName: String?
    /// The revision the result reports.
    var revision: Int64?
    /// The error's message, for failures.
    var errorMessage: String?
    /// A 1002 InsufficientHeadroom error's data: the pool that lacks room and, per resource, the
    /// amounts requested, available and short.
    var denial: Denial?
    /// How many leases a `reconcile` (or any result with a `released` array) ended.
    var releasedCount: Int?
    /// The leases a call created or ended in bulk, from the result's `imported` (importAnnotations)
    /// and `released` (reconcile) arrays, at most ``maxLeasesPerCall``, for one log line each.
    var bulkLeases: [BulkLease] = []

    /// One lease of a bulk change.
    struct BulkLease: Sendable {
        /// `imported` or `released`: the result member it came from.
        var change: String
        var id: String
        var pool: String?
        var holder: String?
        var vmName: String?
    }

    /// The most leases of one call logged one by one.
    static let maxLeasesPerCall = 4096

    /// The data of a 1002 error.
    struct Denial: Sendable {
        var pool: String
        var shortfall: [(resource: String, requested: String, available: String, shortfall: String)]
    }

    /// The most UTF-8 bytes of a client-sent string kept in a record.
    static let maxFieldLength = 256

    /// Reads a call and its outcome.
    /// - Parameters:
    ///   - call: what the dispatcher was asked.
    ///   - outcome: the handler's result or error.
    ///   - knownMethods: the registered method names.
    ///   - changed: whether the ledger's revision moved during the call.
    ///   - started: when the call started.
    ///   - principal: the caller's principal name, when authentication is on.
    init(
        call: JSONRPCDispatcher<CallContext>.InterceptedCall, outcome: Result<JSONValue, JSONRPCError>,
        knownMethods: Set<String>, changed: Bool, started: ContinuousClock.Instant, principal: String? = nil
    ) {
        self.principal = principal
        if let name = call.method {
            method = knownMethods.contains(name) ? name : "unknown"
        } else {
            method = "invalid"
        }
        isNotification = call.isNotification
        self.changed = changed
        self.started = started
        let params = call.params
        pool = Self.text(params?["pool"])
        lease = Self.text(params?["lease"])
        holder = Self.text(params?["holder"])
        vmName = Self.text(params?["labels"]?["vmName"]) ?? Self.text(params?["vmName"])
        switch outcome {
        case .success(let result):
            code = 0
            if let leaseObject = result["lease"], leaseObject["id"] != nil {
                lease = Self.text(leaseObject["id"]) ?? lease
                pool = Self.text(leaseObject["pool"]) ?? pool
                holder = Self.text(leaseObject["holder"]) ?? holder
                vmName = Self.text(leaseObject["labels"]?["vmName"]) ?? vmName
            } else if pool == nil, let name = Self.text(result["pool"]?["name"]) {
                pool = name
            }
            revision = result["revision"]?.int64Value
            releasedCount = result["released"]?.arrayValue?.count
            for change in ["imported", "released"] {
                for lease in result[change]?.arrayValue ?? [] where bulkLeases.count < Self.maxLeasesPerCall {
                    guard let id = Self.text(lease["id"]) else { continue }
                    bulkLeases.append(BulkLease(
                        change: change, id: id, pool: Self.text(lease["pool"]), holder: Self.text(lease["holder"]),
                        vmName: Self.text(lease["labels"]?["vmName"])
                    ))
                }
            }
        case .failure(let error):
            code = error.code
            errorMessage = Self.truncated(error.message, bytes: Self.maxFieldLength * 4)
            if error.code == 1002, let data = error.data, let short = Self.text(data["pool"]) {
                var rows: [(resource: String, requested: String, available: String, shortfall: String)] = []
                for member in data["shortfall"]?.objectValue?.members ?? [] {
                    rows.append((
                        member.key, Self.text(data["requested"]?[member.key]) ?? "?",
                        Self.text(data["available"]?[member.key]) ?? "?", Self.text(member.value) ?? "?"
                    ))
                }
                denial = Denial(pool: short, shortfall: rows)
            }
        }
    }

    /// A string member, truncated; nil when absent or not a string.
    static func text(_ value: JSONValue?) -> String? {
        guard let string = value?.stringValue else { return nil }
        return truncated(string, bytes: maxFieldLength)
    }

    /// `text` cut to at most `bytes` UTF-8 bytes (on a scalar boundary) plus "…". Counted in bytes,
    /// not characters: one character may carry any number of combining scalars.
    static func truncated(_ text: String, bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var kept = String.UnicodeScalarView()
        var used = 0
        for scalar in text.unicodeScalars {
            let size = String(scalar).utf8.count
            guard used + size <= bytes else { break }
            kept.append(scalar)
            used += size
        }
        return String(kept) + "…"
    }
}
