/// The pools quota-load works in: a parent `<prefix>` and its children `<prefix>/p0` …, each
/// child with room for ``LoadConfiguration/poolCapacityLeases`` leases of 100m limits.cpu and
/// 128Mi limits.memory, the parent with room for all of them. `setPool` replaces an existing
/// pool's spec and keeps its leases.
struct PoolSetup {
    let configuration: LoadConfiguration

    /// `setPool` of the parent, then of every load pool.
    /// - Throws: ``LoadError/setup(_:)`` naming the pool when the server refuses.
    func apply(with rpc: BlockingRPC) throws(LoadError) {
        let leases = configuration.poolCapacityLeases
        let all = leases * configuration.pools
        _ = try rpc.call("setPool", params: "{\"pool\":\"\(configuration.poolPrefix)\",\"capacity\":"
            + "{\"limits.cpu\":\"\(all * 100)m\",\"limits.memory\":\"\(all * 128)Mi\"},\"labels\":{\"purpose\":\"quota-load\"}}")
        for pool in configuration.poolNames {
            _ = try rpc.call("setPool", params: "{\"pool\":\"\(pool)\",\"capacity\":"
                + "{\"limits.cpu\":\"\(leases * 100)m\",\"limits.memory\":\"\(leases * 128)Mi\"},\"labels\":{\"purpose\":\"quota-load\"}}")
        }
    }

    /// Releases leases in batches of at most 500 calls, each with its fencing token.
    /// - Returns: how many were released.
    /// - Throws: ``LoadError/transport(_:)`` when a batch gets no answer.
    func release(_ leases: [HeldLease], with rpc: BlockingRPC) throws(LoadError) -> Int {
        var released = 0
        var start = 0
        while start < leases.count {
            let slice = leases[start..<min(start + 500, leases.count)]
            let calls = slice.enumerated().map { offset, lease in
                "{\"jsonrpc\":\"2.0\",\"id\":\(offset),\"method\":\"release\",\"params\":{\"lease\":\"\(lease.id)\",\"expectedRevision\":\(lease.revision)}}"
            }
            let answer = try rpc.send("[" + calls.joined(separator: ",") + "]")
            released += answer.arrayValue?.filter { $0["result"]?["released"]?.boolValue == true }.count ?? 0
            start += slice.count
        }
        return released
    }
}
