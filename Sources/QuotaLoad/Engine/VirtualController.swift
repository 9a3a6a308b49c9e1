import JSON

/// One virtual migration controller (issue 8): it reserves headroom for fresh lease ids,
/// sometimes retries a reserve (idempotent), renews now and then, and releases what it holds;
/// it judges every answer against what it was granted.
final class VirtualController {
    let index: Int
    private var generator: SeededGenerator
    private let nonce: (UInt64, UInt64)
    private let configuration: LoadConfiguration
    private let poolNames: [String]
    /// Leases granted and not being released, oldest first.
    private(set) var held: [HeldLease] = []

    init(index: Int, configuration: LoadConfiguration, nonce: (UInt64, UInt64)) {
        self.index = index
        self.configuration = configuration
        self.nonce = nonce
        poolNames = configuration.poolNames
        generator = SeededGenerator(seed: configuration.seed &* 0x9E37_79B9 &+ UInt64(index))
    }

    /// Chooses the next `count` calls. A release, retry or renew with nothing held becomes a
    /// reserve; a reserve past ``LoadConfiguration/maxHeldPerController`` becomes a release.
    /// A lease being released leaves ``held`` at once, so no later call names it.
    func plan(count: Int) -> [PlannedCall] {
        var calls: [PlannedCall] = []
        calls.reserveCapacity(count)
        for _ in 0..<count {
            var operation = configuration.mix.operation(at: Int(generator.next() % UInt64(configuration.mix.total)))
            if operation == .reserve, held.count >= configuration.maxHeldPerController { operation = .release }
            if operation != .reserve, operation != .inspect, held.isEmpty { operation = .reserve }
            // A lease whose release may have been committed is only released again.
            if operation == .retry || operation == .renew, !held.contains(where: { !$0.releaseUncertain }) { operation = .release }
            switch operation {
            case .reserve:
                let pool = poolNames[Int(generator.next() % UInt64(poolNames.count))]
                let lease = HeldLease(id: generator.leaseID(nonce: nonce), pool: pool, revision: 0)
                calls.append(PlannedCall(operation: .reserve, lease: lease, pool: pool))
            case .retry, .renew:
                let certain = held.filter { !$0.releaseUncertain }
                let lease = certain[Int(generator.next() % UInt64(certain.count))]
                calls.append(PlannedCall(operation: operation, lease: lease, pool: lease.pool))
            case .release:
                // The oldest lease, or first one whose release is in doubt, to settle it.
                let lease = held.remove(at: held.firstIndex(where: \.releaseUncertain) ?? 0)
                calls.append(PlannedCall(operation: .release, lease: lease, pool: lease.pool))
            case .inspect:
                let pool = poolNames[Int(generator.next() % UInt64(poolNames.count))]
                calls.append(PlannedCall(operation: .inspect, lease: nil, pool: pool))
            }
        }
        return calls
    }

    /// The JSON-RPC request body for the calls, ids 0…count-1; a batch when there is more than one.
    func body(for calls: [PlannedCall]) -> [UInt8] {
        var text = calls.count > 1 ? "[" : ""
        for (id, call) in calls.enumerated() {
            if id > 0 { text += "," }
            text += "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"\(call.operation.method)\",\"params\":"
            switch call.operation {
            case .reserve, .retry:
                let lease = call.lease!
                text += "{\"pool\":\"\(lease.pool)\",\"lease\":\"\(lease.id)\","
                    + "\"resources\":{\"limits.cpu\":\"100m\",\"limits.memory\":\"128Mi\"},"
                    + "\"holder\":\"quota-load-\(index)\",\"labels\":{\"vmName\":\"vm-\(lease.id.prefix(8))\"},\"ttlSeconds\":3600}"
            case .renew:
                text += "{\"lease\":\"\(call.lease!.id)\",\"ttlSeconds\":3600}"
            case .release:
                text += "{\"lease\":\"\(call.lease!.id)\",\"expectedRevision\":\(call.lease!.revision)}"
            case .inspect:
                text += "{\"pool\":\"\(call.pool)\"}"
            }
            text += "}"
        }
        if calls.count > 1 { text += "]" }
        return Array(text.utf8)
    }

    /// Judges one call's JSON-RPC response (nil when the request got none) and updates ``held``.
    func judge(_ call: PlannedCall, response: JSONValue?, into statistics: inout LoadStatistics) {
        guard let response else {
            if call.operation == .release, let lease = call.lease { held.append(lease) }
            return
        }
        if let error = response["error"] {
            let code = error["code"]?.int64Value.map(String.init) ?? "protocol"
            statistics.count(error: code)
            switch (call.operation, code) {
            case (.release, "1004"), (.release, "1005"), (.renew, "1004"), (.renew, "1005"):
                statistics.violation("\(call.operation.rawValue) of held lease \(call.lease!.id) in \(call.pool): error \(code)")
                if call.operation == .renew { held.removeAll { $0.id == call.lease!.id } }
            case (.retry, "1003"):
                statistics.violation("retry of held lease \(call.lease!.id) in \(call.pool): 1003 LeaseConflict")
            case (.release, "-32001"):
                // Still held, but the store may have committed the release before failing.
                var lease = call.lease!
                lease.releaseUncertain = true
                held.append(lease)
            case (.release, _):
                held.append(call.lease!)  // not released: still held
            default:
                break
            }
            return
        }
        guard let result = response["result"], result.objectValue != nil else {
            statistics.count(error: "protocol")
            statistics.violation("\(call.operation.rawValue): response has neither result nor error")
            return
        }
        statistics.succeeded += 1
        switch call.operation {
        case .reserve:
            guard result["created"]?.boolValue == true, let revision = result["lease"]?["revision"]?.int64Value else {
                statistics.violation("reserve of fresh lease \(call.lease!.id) in \(call.pool) was not created")
                return
            }
            var lease = call.lease!
            lease.revision = revision
            held.append(lease)
        case .retry:
            if result["created"]?.boolValue != false {
                statistics.violation("retry of held lease \(call.lease!.id) in \(call.pool) created it again: it was missing")
            }
        case .release:
            if result["released"]?.boolValue != true {
                let state = result["state"]?.stringValue ?? "?"
                // The release answered -32001 earlier was committed after all: no contradiction.
                if call.lease!.releaseUncertain, state == "released" { return }
                statistics.violation("release of held lease \(call.lease!.id) in \(call.pool): released false, state \(state)")
            }
        case .renew:
            if result["lease"]?["state"]?.stringValue != "active" {
                statistics.violation("renew of held lease \(call.lease!.id): lease not active")
            }
        case .inspect:
            break
        }
    }
}
