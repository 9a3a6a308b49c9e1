import Foundation
import QuotaCore
import Testing

/// Issue #5, scenario 6: three clusters, each with two namespaces under a cluster pool that caps
/// the cluster's total migration headroom, and 10 scripted controllers draining nodes at once
/// against the real quotad. A monitor inspects every pool throughout; at no moment may a pool hold
/// more than its capacity, and everything is released at the end.
@Suite struct ConcurrentDrainTests {
    static let clusters = ["c1", "c2", "c3"]
    static let namespaces = ["ns-a", "ns-b"]
    static let controllers = 10
    static let vmsPerController = 20
    /// Bounds on each controller's loop: steps, and seconds (a bound, not an assertion).
    static let maxSteps = 5000
    static let deadlineSeconds = 120.0

    /// Shared between the controller threads and the monitor.
    final class Shared: @unchecked Sendable {
        let lock = NSLock()
        var finished = 0
        var granted = 0
        var denied = 0
        var migrated = 0
        var failures: [String] = []
        var checks = 0

        func with<T>(_ body: (Shared) -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            return body(self)
        }
    }

    @Test func tenControllersDrainingThreeClustersNeverExceedACapacity() throws {
        let server = try QuotadProcess()
        let admin = server.client
        for cluster in Self.clusters {
            _ = try admin.result("setPool", [
                "pool": cluster, "capacity": ["limits.cpu": "4", "limits.memory": "12Gi"], "labels": ["cluster": cluster],
            ])
            for namespace in Self.namespaces {
                _ = try admin.result("setPool", [
                    "pool": "\(cluster)/\(namespace)", "capacity": ["limits.cpu": "3", "limits.memory": "8Gi"],
                    "base": ["limits.cpu": "30", "limits.memory": "60Gi"],
                    "labels": ["cluster": cluster, "project": "p-\(namespace)"],
                ])
            }
        }

        let shared = Shared()
        let done = DispatchGroup()
        let port = server.port
        for index in 0..<Self.controllers {
            done.enter()
            let thread = Thread {
                Self.drain(controller: index, port: port, shared: shared)
                shared.with { $0.finished += 1 }
                done.leave()
            }
            thread.start()
        }
        done.enter()
        let monitor = Thread {
            Self.monitor(port: port, shared: shared)
            done.leave()
        }
        monitor.start()
        #expect(done.wait(timeout: .now() + Self.deadlineSeconds + 60) == .success, "the drains did not finish")

        shared.with { state in
            #expect(state.failures.isEmpty, "\(state.failures.prefix(5))")
            #expect(state.migrated == Self.controllers * Self.vmsPerController, "every VM of every drain migrated")
            #expect(state.checks > 0, "the monitor inspected during the run")
        }
        let end = try admin.result("inspect")
        for pool in end["pools"] as? [[String: Any]] ?? [] {
            let name = pool["name"] as? String ?? "?"
            #expect(pool["activeLeases"] as? Int == 0, "\(name) still holds leases")
            #expect((pool["reserved"] as? [String: String])?.isEmpty == true, "\(name) still reserves \(pool["reserved"] ?? "")")
            if let base = pool["base"] as? [String: String] {
                #expect(pool["effective"] as? [String: String] == base, "\(name): effective is back to base")
            }
        }
        let totals = try #require(end["totals"] as? [String: Any])
        #expect(totals["pools"] as? Int == 3)
        #expect(totals["activeLeases"] as? Int == 0)
        let record = shared.with { "granted \($0.granted), denied \($0.denied), monitor checks \($0.checks)" }
        print("ConcurrentDrainTests: \(record)")
    }

    /// One controller draining one node: up to 2 migrations in flight; a denied VM waits and is
    /// tried again after one of the controller's own migrations ends (or 2 ms when none runs); each
    /// migration is released when it ends (half of them by VM name).
    static func drain(controller: Int, port: Int, shared: Shared) {
        var generator = SystemRandomNumberGenerator()
        let client = RPCClient(port: port)
        let cluster = clusters[controller % clusters.count]
        var pending: [(name: String, pool: String, resources: [String: String])] = (0..<vmsPerController).map { vm in
            // Names of 54+ characters, the length that broke name-keyed annotations (harvester#7464).
            let name = "drain-\(cluster)-node-\(controller)-vm-\(vm)-" + String(repeating: "x", count: 40)
            let namespace = namespaces[(controller + vm) % namespaces.count]
            let resources = vm % 2 == 0 ? ["limits.cpu": "1", "limits.memory": "2Gi"] : ["limits.cpu": "2", "limits.memory": "3Gi"]
            return (name, "\(cluster)/\(namespace)", resources)
        }
        var inFlight: [(id: String, name: String, pool: String)] = []
        let deadline = Date().addingTimeInterval(deadlineSeconds)
        var steps = 0
        func fail(_ text: String) { shared.with { $0.failures.append("controller \(controller): \(text)") } }

        while (!pending.isEmpty || !inFlight.isEmpty) && steps < maxSteps && Date() < deadline {
            steps += 1
            var wasDenied = false
            if inFlight.count < 2, !pending.isEmpty {
                let vm = pending.removeFirst()
                let id = UUID().uuidString.lowercased()
                do {
                    let response = try client.call("reserve", [
                        "pool": vm.pool, "lease": id, "resources": vm.resources, "holder": "controller-\(controller)",
                        "labels": ["vmName": vm.name], "ttlSeconds": 300,
                    ])
                    if response["result"] != nil {
                        // An idempotent retry, as a controller does after a lost reply.
                        if Int.random(in: 0..<4, using: &generator) == 0 {
                            let retry = try client.call("reserve", [
                                "pool": vm.pool, "lease": id, "resources": vm.resources, "holder": "controller-\(controller)",
                                "labels": ["vmName": vm.name], "ttlSeconds": 300,
                            ])
                            if (retry["result"] as? [String: Any])?["created"] as? Bool != false { fail("retry of \(id) was not idempotent: \(retry)") }
                        }
                        inFlight.append((id, vm.name, vm.pool))
                        shared.with { $0.granted += 1 }
                    } else if (response["error"] as? [String: Any])?["code"] as? Int == 1002 {
                        pending.append(vm)
                        shared.with { $0.denied += 1 }
                        wasDenied = true
                        if inFlight.isEmpty {
                            usleep(2000)
                            continue
                        }
                    } else {
                        fail("reserve: \(response)")
                        return
                    }
                } catch {
                    fail("reserve: \(error)")
                    return
                }
            }
            // A denied controller lets one of its own migrations finish before it asks again.
            guard !inFlight.isEmpty, wasDenied || inFlight.count == 2 || pending.isEmpty || Bool.random(using: &generator) else { continue }
            // The migration runs a little, then ends.
            usleep(UInt32.random(in: 1000...5000, using: &generator))
            let migration = inFlight.removeFirst()
            let params: [String: Any] = Bool.random(using: &generator)
                ? ["lease": migration.id]
                : ["pool": migration.pool, "vmName": migration.name]
            do {
                let released = try client.result("release", params)
                if released["released"] as? Bool != true { fail("release \(params) answered \(released)") }
                shared.with { $0.migrated += 1 }
            } catch {
                fail("release \(params): \(error)")
            }
        }
        if !pending.isEmpty || !inFlight.isEmpty {
            fail("stopped after \(steps) steps with \(pending.count) pending and \(inFlight.count) in flight")
        }
    }

    /// Inspects every pool until the controllers are done; each snapshot must have every pool's
    /// reserved within its capacity, and each cluster pool's reserved equal to its namespaces' sum.
    static func monitor(port: Int, shared: Shared) {
        let client = RPCClient(port: port)
        let deadline = Date().addingTimeInterval(deadlineSeconds + 30)
        func fail(_ text: String) { shared.with { $0.failures.append("monitor: \(text)") } }
        while shared.with({ $0.finished }) < controllers && Date() < deadline {
            do {
                let snapshot = try client.result("inspect")
                var byName: [String: [String: Any]] = [:]
                for pool in snapshot["pools"] as? [[String: Any]] ?? [] { byName[pool["name"] as? String ?? "?"] = pool }
                for (name, pool) in byName {
                    let capacity = pool["capacity"] as? [String: String] ?? [:]
                    let reserved = pool["reserved"] as? [String: String] ?? [:]
                    for (resource, limit) in capacity {
                        let used = try Quantity(parsing: reserved[resource] ?? "0")
                        if used > (try Quantity(parsing: limit)) { fail("\(name) reserves \(used) of \(resource), capacity \(limit)") }
                    }
                    if pool["overcommitted"] as? Bool == true { fail("\(name) is overcommitted") }
                }
                for cluster in clusters {
                    var sum = ResourceList()
                    for namespace in namespaces {
                        for (resource, text) in byName["\(cluster)/\(namespace)"]?["reserved"] as? [String: String] ?? [:] {
                            sum = try sum.adding(ResourceList([try ResourceName(resource): try Quantity(parsing: text)]))
                        }
                    }
                    var own = ResourceList()
                    for (resource, text) in byName[cluster]?["reserved"] as? [String: String] ?? [:] {
                        own[try ResourceName(resource)] = try Quantity(parsing: text)
                    }
                    if own != sum.droppingZeros() { fail("\(cluster) reserves \(own), its namespaces \(sum)") }
                }
                shared.with { $0.checks += 1 }
            } catch {
                fail("inspect: \(error)")
                return
            }
        }
    }
}
