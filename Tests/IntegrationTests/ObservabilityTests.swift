import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// /metrics, /readyz and the log lines of the real binary (issue #7). The exposition is parsed by
/// the Python prometheus_client text parser, not by anything of quotad's.
@Suite(.serialized)
struct ObservabilityTests {
    static let leaseA = "0a000000-0000-4000-8000-00000000000a"
    static let leaseB = "0b000000-0000-4000-8000-00000000000b"
    static let leaseC = "0c000000-0000-4000-8000-00000000000c"
    static let leaseD = "0d000000-0000-4000-8000-00000000000d"

    /// One sample of a scrape.
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// Scrapes /metrics and parses it with prometheus_client's text parser.
    static func scrape(_ client: RPCClient) throws -> [Sample] {
        let response = try client.request("GET", "/metrics")
        try #require(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = []
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    out.append({"name": s.name, "labels": s.labels, "value": s.value})
            print(json.dumps(out))
            """
        let parsed = try ExternalCommand.run(["python3", "-c", script], input: response.body, timeout: 60)
        try #require(parsed.status == 0, "prometheus_client refused the exposition: \(parsed.standardError)")
        let list = try #require(try JSONSerialization.jsonObject(with: parsed.standardOutput) as? [[String: Any]])
        return list.map { Sample(name: $0["name"] as? String ?? "", labels: $0["labels"] as? [String: String] ?? [:], value: ($0["value"] as? NSNumber)?.doubleValue ?? .nan) }
    }

    /// The value of the one sample with this name and these labels, nil when absent.
    static func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// quotad's stderr lines, each parsed as a JSON object.
    static func logLines(_ server: QuotadProcess) throws -> [[String: Any]] {
        try server.standardError().split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON log line: \(line)")
        }
    }

    static func reserve(_ lease: String, cpu: String, memory: String, ttl: Int, vmName: String) -> [String: Any] {
        ["pool": "c1/ns1", "lease": lease, "resources": ["limits.cpu": cpu, "limits.memory": memory], "ttlSeconds": ttl,
         "holder": "kubevirt-controller", "labels": ["vmName": vmName]]
    }

    @Test func metricsAndLogLinesFollowReserveDenyReleaseAndExpiry() throws {
        let server = try QuotadProcess(arguments: ["--store", "memory", "--log-format", "json"])
        let client = server.client
        _ = try client.result("setPool", ["pool": "c1", "capacity": ["limits.cpu": "4", "limits.memory": "8Gi"]])
        _ = try client.result("setPool", ["pool": "c1/ns1", "capacity": ["limits.cpu": "2", "limits.memory": "4Gi"], "base": ["limits.cpu": "3"]])
        _ = try client.result("reserve", Self.reserve(Self.leaseA, cpu: "500m", memory: "1Gi", ttl: 600, vmName: "vm-a"))
        _ = try client.result("reserve", Self.reserve(Self.leaseB, cpu: "1", memory: "512Mi", ttl: 600, vmName: "vm-b"))

        // While A and B are active: exact base units, the ancestor charged too.
        var samples = try Self.scrape(client)
        #expect(Self.value(samples, "quota_pool_reserved", ["pool": "c1/ns1", "resource": "limits.cpu"]) == 1.5)
        #expect(Self.value(samples, "quota_pool_reserved", ["pool": "c1/ns1", "resource": "limits.memory"]) == 1_610_612_736)
        #expect(Self.value(samples, "quota_pool_reserved", ["pool": "c1", "resource": "limits.cpu"]) == 1.5)
        #expect(Self.value(samples, "quota_pool_available", ["pool": "c1/ns1", "resource": "limits.cpu"]) == 0.5)
        #expect(Self.value(samples, "quota_pool_capacity", ["pool": "c1", "resource": "limits.memory"]) == 8_589_934_592)
        #expect(Self.value(samples, "quota_pool_active_leases", ["pool": "c1"]) == 2)
        #expect(Self.value(samples, "quota_pool_active_leases", ["pool": "c1/ns1"]) == 2)
        #expect(Self.value(samples, "quota_leases_granted_total") == 2)

        let denied = try client.error("reserve", Self.reserve(Self.leaseC, cpu: "2", memory: "1Gi", ttl: 600, vmName: "vm-c"))
        #expect(denied["code"] as? Int == 1002)
        _ = try client.result("release", ["lease": Self.leaseB])
        _ = try client.result("reserve", Self.reserve(Self.leaseD, cpu: "250m", memory: "1Gi", ttl: 1, vmName: "vm-d"))

        // D expires on its own (TTL 1 s): wait for the sweep, at most 15 s.
        let deadline = Date().addingTimeInterval(15)
        repeat {
            samples = try Self.scrape(client)
            if Self.value(samples, "quota_leases_expired_total") == 1 { break }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        #expect(Self.value(samples, "quota_leases_expired_total") == 1)
        #expect(Self.value(samples, "quota_leases_granted_total") == 3)
        #expect(Self.value(samples, "quota_leases_released_total") == 1)
        #expect(Self.value(samples, "quota_leases_denied_total", ["reason": "insufficient_headroom"]) == 1)
        #expect(Self.value(samples, "quota_rpc_requests_total", ["method": "reserve", "code": "0"]) == 3)
        #expect(Self.value(samples, "quota_rpc_requests_total", ["method": "reserve", "code": "1002"]) == 1)
        #expect(Self.value(samples, "quota_rpc_requests_total", ["method": "release", "code": "0"]) == 1)
        #expect(Self.value(samples, "quota_rpc_requests_total", ["method": "setPool", "code": "0"]) == 2)
        #expect(Self.value(samples, "quota_rpc_request_duration_seconds_count", ["method": "reserve"]) == 4)
        #expect(Self.value(samples, "quota_rpc_request_duration_seconds_bucket", ["method": "reserve", "le": "+Inf"]) == 4)
        // A is still active.
        #expect(Self.value(samples, "quota_pool_reserved", ["pool": "c1/ns1", "resource": "limits.cpu"]) == 0.5)
        #expect(Self.value(samples, "quota_pool_available", ["pool": "c1", "resource": "limits.cpu"]) == 3.5)
        #expect(Self.value(samples, "quota_pool_active_leases", ["pool": "c1"]) == 1)
        // Changes of setPool ×2, reserve ×3, release, expiry: 7 changes in all.
        #expect(Self.value(samples, "quota_store_commit_batch_size_sum") == 7)
        #expect((Self.value(samples, "quota_store_commit_duration_seconds_count") ?? 0) >= 1)
        #expect((Self.value(samples, "quota_http_connections") ?? 0) >= 1, "the scrape's own connection is open")
        #expect(Self.value(samples, "quota_ready") == 1)
        #expect((Self.value(samples, "process_resident_memory_bytes") ?? 0) > 0)
        #expect((Self.value(samples, "process_open_fds") ?? 0) > 0)

        // Client-chosen method names never become label values.
        _ = try client.call("no-such-method-\(UUID().uuidString)")
        samples = try Self.scrape(client)
        #expect(Self.value(samples, "quota_rpc_requests_total", ["method": "unknown", "code": "-32601"]) == 1)

        // The log lines: one JSON object per line, with the fields of issue #7.
        let lines = try Self.logLines(server)
        let start = try #require(lines.first { $0["event"] as? String == "start" })
        #expect(start["version"] is String)
        #expect(start["store"] as? String == "memory")
        #expect(start["listen"] as? String == "127.0.0.1:\(server.port)")
        #expect(start["maxConnections"] as? Int == 1024)

        let granted = try #require(lines.first { $0["method"] as? String == "reserve" && $0["lease"] as? String == Self.leaseA })
        #expect(granted["event"] as? String == "call")
        #expect(granted["level"] as? String == "info")
        #expect(granted["code"] as? Int == 0)
        #expect(granted["pool"] as? String == "c1/ns1")
        #expect(granted["holder"] as? String == "kubevirt-controller")
        #expect(granted["vmName"] as? String == "vm-a")
        #expect(granted["revision"] as? Int == 3)
        #expect(granted["duration"] is Double)
        #expect((granted["time"] as? String)?.hasSuffix("Z") == true)

        let denial = try #require(lines.first { $0["event"] as? String == "denied" })
        #expect(denial["level"] as? String == "warning")
        #expect(denial["code"] as? Int == 1002)
        #expect(denial["lease"] as? String == Self.leaseC)
        #expect(denial["vmName"] as? String == "vm-c")
        #expect(denial["shortPool"] as? String == "c1/ns1")
        #expect(denial["resource"] as? String == "limits.cpu")
        #expect(denial["shortfall"] as? [String: String] == ["limits.cpu": "1500m"])
        #expect(denial["requested"] as? [String: String] == ["limits.cpu": "2"])
        #expect(denial["available"] as? [String: String] == ["limits.cpu": "500m"])
        #expect((denial["msg"] as? String)?.contains("pool c1/ns1 is short of limits.cpu by 1500m (requested 2, available 500m)") == true)

        let release = try #require(lines.first { $0["method"] as? String == "release" })
        #expect(release["lease"] as? String == Self.leaseB)
        #expect(release["vmName"] as? String == "vm-b", "release names the VM from the lease it ended")
        #expect(release["revision"] as? Int == 5)

        let expiry = try #require(lines.first { $0["event"] as? String == "expire" })
        #expect(expiry["count"] as? Int == 1)
        #expect(expiry["pools"] as? [String: Int] == ["c1/ns1": 1])
    }

    /// A bulk change logs one line per lease it ended, and the counters count each lease.
    @Test func reconcileLogsOneLinePerReleasedLease() throws {
        let server = try QuotadProcess(arguments: ["--store", "memory", "--log-format", "json"])
        let client = server.client
        _ = try client.result("setPool", ["pool": "c1", "capacity": ["limits.cpu": "4"]])
        for (lease, vm) in [(Self.leaseA, "vm-a"), (Self.leaseB, "vm-b"), (Self.leaseC, "vm-c")] {
            _ = try client.result("reserve", ["pool": "c1", "lease": lease, "resources": ["limits.cpu": "1"], "holder": "ctl", "labels": ["vmName": vm]])
        }
        let reconciled = try client.result("reconcile", ["holder": "ctl", "leases": [Self.leaseB]])
        #expect((reconciled["released"] as? [Any])?.count == 2)
        let samples = try Self.scrape(client)
        #expect(Self.value(samples, "quota_leases_released_total") == 2)
        #expect(Self.value(samples, "quota_pool_active_leases", ["pool": "c1"]) == 1)
        let lines = try Self.logLines(server)
        let call = try #require(lines.first { $0["method"] as? String == "reconcile" && $0["event"] as? String == "call" })
        #expect(call["released"] as? Int == 2)
        let released = lines.filter { $0["event"] as? String == "lease_released" }
        #expect(Set(released.compactMap { $0["vmName"] as? String }) == ["vm-a", "vm-c"])
        #expect(released.allSatisfy { $0["method"] as? String == "reconcile" && $0["holder"] as? String == "ctl" && $0["pool"] as? String == "c1" && $0["revision"] as? Int == reconciled["revision"] as? Int })
    }

    @Test func metricsMaxPoolsKeepsClusterPoolsFirst() throws {
        let server = try QuotadProcess(arguments: ["--store", "memory", "--metrics-max-pools", "2"])
        let client = server.client
        for pool in ["a/x", "b", "a", "a/y"] {
            _ = try client.result("setPool", ["pool": pool, "capacity": ["limits.cpu": "1"]])
        }
        let samples = try Self.scrape(client)
        let pools = Set(samples.filter { $0.name == "quota_pool_capacity" }.compactMap { $0.labels["pool"] })
        #expect(pools == ["a", "b"])
        #expect(Self.value(samples, "quota_metrics_pools_omitted") == 2)
        #expect(Self.value(samples, "quota_pools") == 4)

        // A deleted pool's series go, and the next pool takes its place.
        _ = try client.result("deletePool", ["pool": "b"])
        let after = try Self.scrape(client)
        #expect(Set(after.filter { $0.name == "quota_pool_capacity" }.compactMap { $0.labels["pool"] }) == ["a", "a/x"])
    }

    /// A second SQLite connection that holds the write lock (`BEGIN IMMEDIATE`) makes quotad's
    /// commits fail with "database is locked", as a broken disk would, even for root.
    final class StoreLock {
        let process = Process()
        let input = Pipe()
        let output = Pipe()

        init(database: URL) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", """
                import sqlite3, sys
                c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
                c.execute("BEGIN IMMEDIATE")
                print("locked", flush=True)
                sys.stdin.readline()
                c.execute("ROLLBACK")
                """, database.path]
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            let line = output.fileHandleForReading.availableData
            guard String(decoding: line, as: UTF8.self).hasPrefix("locked") else {
                release()
                throw HarnessError("could not lock \(database.path)")
            }
        }

        func release() {
            try? input.fileHandleForWriting.write(contentsOf: Data("\n".utf8))
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }

        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    }

    @Test func readyzIs503WhileTheStoreCannotCommitAnd200Again() throws {
        let server = try QuotadProcess(arguments: ["--log-format", "json"])
        let client = server.client
        #expect(try client.request("GET", "/readyz").status == 200)
        _ = try client.result("setPool", ["pool": "c1", "capacity": ["limits.cpu": "4"]])

        let lock = try StoreLock(database: server.dataDirectory.appendingPathComponent("quotad.sqlite"))
        let failed = try client.error("reserve", ["pool": "c1", "lease": Self.leaseA, "resources": ["limits.cpu": "1"]])
        #expect(failed["code"] as? Int == -32001)
        let notReady = try client.request("GET", "/readyz")
        #expect(notReady.status == 503)
        #expect((notReady.object["reason"] as? String)?.contains("cannot commit") == true)
        #expect(try client.request("GET", "/healthz").status == 200, "/healthz is unchanged")
        var samples = try Self.scrape(client)
        #expect(Self.value(samples, "quota_ready") == 0)
        #expect(Self.value(samples, "quota_store_commit_failures_total") == 1)
        #expect(Self.value(samples, "quota_rpc_requests_total", ["method": "reserve", "code": "-32001"]) == 1)
        #expect(Self.value(samples, "quota_leases_granted_total") == 0, "a rolled-back grant is not counted")
        // Still 503 a second later: the once-a-second probe keeps failing while the lock is held.
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try client.request("GET", "/readyz").status == 503)

        // Without any client write, the probe notices the store works again.
        lock.release()
        var status = 0
        let deadline = Date().addingTimeInterval(15)
        repeat {
            status = try client.request("GET", "/readyz").status
            if status == 200 { break }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        #expect(status == 200)
        _ = try client.result("reserve", ["pool": "c1", "lease": Self.leaseA, "resources": ["limits.cpu": "1"]])
        samples = try Self.scrape(client)
        #expect(Self.value(samples, "quota_ready") == 1)
        #expect(Self.value(samples, "quota_leases_granted_total") == 1)

        let lines = try Self.logLines(server)
        let failure = try #require(lines.first { $0["event"] as? String == "commit_failed" })
        #expect(failure["level"] as? String == "error")
        #expect((failure["error"] as? String)?.contains("locked") == true)
        let failedCall = try #require(lines.first { $0["method"] as? String == "reserve" && $0["code"] as? Int == -32001 })
        #expect(failedCall["level"] as? String == "error")
        #expect(lines.contains { $0["event"] as? String == "store_recovered" })
    }

    @Test func textLogLinesAndLevels() throws {
        let server = try QuotadProcess(arguments: ["--store", "memory", "--log-format", "text", "--log-level", "warning"])
        let client = server.client
        _ = try client.result("setPool", ["pool": "c1", "capacity": ["limits.cpu": "1"]])
        // A holder with a line break is refused (-32602, logged at debug only); one with spaces,
        // `=` and quotes must stay inside one quoted value.
        #expect(try client.error("reserve", ["pool": "c1", "lease": Self.leaseA, "resources": ["limits.cpu": "1"], "holder": "evil\nlevel=info"])["code"] as? Int == -32602)
        _ = try client.error("reserve", ["pool": "c1", "lease": Self.leaseA, "resources": ["limits.cpu": "2"], "holder": #"evil" level=info forged=1"#])
        let lines = server.standardError().split(separator: "\n")
        #expect(lines.count == 1, "only the warning is logged at --log-level warning: \(lines)")
        let line = try #require(lines.first)
        #expect(line.hasPrefix("time="))
        #expect(line.contains(" level=warning event=denied method=reserve code=1002 pool=c1 resource=limits.cpu "))
        #expect(line.contains(#"holder="evil\" level=info forged=1""#), "a hostile holder stays inside one quoted value: \(line)")
    }

    /// With --tokens, /metrics and the status page show every pool: only an unscoped principal
    /// (any role) may see them; /healthz and /readyz stay open for probes.
    @Test func metricsAndStatusPageNeedAnUnscopedPrincipalUnderTokens() throws {
        let directory = QuotadProcess.makeDataDirectory()
        let file = try AuthorizationTests.tokensFile(AuthorizationTests.tokens, in: directory)
        let server = try QuotadProcess(dataDirectory: directory, arguments: ["--tokens", file.path])
        func get(_ path: String, as name: String?) throws -> RPCClient.Response {
            var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            if let name, let token = AuthorizationTests.tokens[name] { head += "Authorization: Bearer \(token)\r\n" }
            return try server.client.send(raw: Data((head + "\r\n").utf8))
        }
        for path in ["/metrics", "/"] {
            #expect(try get(path, as: nil).status == 401, "\(path) without a token")
            #expect(try get(path, as: "reader-c1").status == 403, "\(path) for a scoped reader")
            #expect(try get(path, as: "reader").status == 200, "\(path) for an unscoped reader")
            #expect(try get(path, as: "admin").status == 200)
        }
        #expect(try get("/readyz", as: nil).status == 200)
        #expect(try get("/healthz", as: nil).status == 200)
    }

    @Test func badLogFlagsAreRefusedNamingTheValue() throws {
        for (flag, value) in [("--log-format", "xml"), ("--log-level", "loud"), ("--metrics-max-pools", "-1")] {
            let error = #expect(throws: HarnessError.self) { _ = try QuotadProcess(arguments: ["--store", "memory", "\(flag)=\(value)"]) }
            #expect(error?.description.contains(flag) == true && error?.description.contains(value) == true, "\(String(describing: error))")
        }
    }
}
