import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The real quota-load binary against the real quotad (issue 8): the short benchmark smoke run
/// with its correctness checks on, and its exit status when it cannot run.
@Suite(.serialized)
struct QuotaLoadToolTests {
    static var quotaLoad: URL { ExternalCommand.builtProduct("quota-load") }

    @Test func closedLoopRunOnTheSQLiteStorePassesItsChecks() throws {
        let server = try QuotadProcess()
        let run = try ExternalCommand.run([Self.quotaLoad.path,
            "--server", "http://127.0.0.1:\(server.port)", "--duration", "1s", "--connections", "4", "--pools", "3",
            "--seed", "11", "-o", "json",
        ])
        #expect(run.status == 0, "\(run.text)\n\(run.standardError)")
        let report = run.json
        let calls = report["calls"] as? Int ?? 0
        #expect(calls > 0)
        #expect(report["succeeded"] as? Int == calls)
        #expect((report["errors"] as? [String: Any])?.isEmpty == true)
        #expect(report["violationCount"] as? Int == 0)
        let check = report["check"] as? [String: Any] ?? [:]
        #expect(check["passed"] as? Bool == true)
        #expect(check["pools"] as? Int == 4)
        #expect(check["releasedAfterCheck"] as? Int == check["leasesHeld"] as? Int)
        let methods = report["methods"] as? [String: Any] ?? [:]
        #expect(Set(methods.keys).isSubset(of: ["reserve", "retry", "renew", "release", "inspect"]))
        #expect((methods["reserve"] as? [String: Any])?["calls"] as? Int ?? 0 > 0)
        let latency = (report["all"] as? [String: Any])?["latencyMs"] as? [String: Double] ?? [:]
        #expect(Set(latency.keys) == ["p50", "p90", "p99", "p99.9", "max"])
        #expect(latency["p50"]! <= latency["p99"]! && latency["p99"]! <= latency["max"]!)

        // Independently of quota-load: the pools exist and hold nothing after its clean-up.
        let parent = try server.client.result("inspect", ["pool": "load", "includeLeases": true])
        #expect((parent["pool"] as? [String: Any])?["activeLeases"] as? Int == 0)
        #expect((parent["children"] as? [Any])?.count == 3)
    }

    @Test func openLoopBatchesKeepTheirSchedule() throws {
        let server = try QuotadProcess(arguments: ["--store", "memory"])
        let run = try ExternalCommand.run([Self.quotaLoad.path,
            "--server", "http://127.0.0.1:\(server.port)", "--duration", "1s", "--connections", "2", "--rate", "40",
            "--batch", "10", "--mix", "reserve=50,release=50", "-o", "json",
        ])
        #expect(run.status == 0, "\(run.text)\n\(run.standardError)")
        let report = run.json
        let requests = report["requests"] as? Int ?? 0
        // The schedule sends at most rate × duration requests, whatever the server's speed.
        #expect(requests > 0 && requests <= 40)
        #expect(report["calls"] as? Int == requests * 10)
        #expect((report["check"] as? [String: Any])?["passed"] as? Bool == true)
    }

    /// Two quotad processes with their own SQLite stores: the mechanics of several servers
    /// (round-robin connections, each server's share in the report, leases released through the
    /// server that granted them) — and, since these are not replicas of one ledger, the check
    /// that replicas agree fails, which is what it is for.
    @Test func twoIndependentServersShareTheLoadAndFailTheReplicaCheck() throws {
        // SQLite by name: with QUOTAD_TEST_STORE=postgres the two would otherwise share a ledger.
        let first = try QuotadProcess(arguments: ["--store", "sqlite"])
        let second = try QuotadProcess(arguments: ["--store", "sqlite"])
        // quota-load sets the pools up through the first server only; the second gets them here,
        // and one lease quota-load knows nothing of, so that the two cannot happen to agree.
        for pool in ["load", "load/p0"] {
            _ = try second.client.result("setPool", ["pool": pool, "capacity": ["limits.cpu": "1000", "limits.memory": "1000Gi"]])
        }
        let foreign = "00000000-0000-4000-8000-00000000f00d"
        _ = try second.client.result("reserve", ["pool": "load/p0", "lease": foreign, "resources": ["limits.cpu": "1"]])
        let urls = ["http://127.0.0.1:\(first.port)", "http://127.0.0.1:\(second.port)"]

        let run = try ExternalCommand.run([Self.quotaLoad.path, "--server", urls[0], "--server", urls[1],
            "--duration", "1s", "--connections", "3", "--seed", "13", "-o", "json",
        ])
        #expect(run.status == 1, "\(run.text)\n\(run.standardError)")
        let report = run.json
        #expect(report["server"] as? String == urls[0] + "/rpc")
        let servers = report["servers"] as? [[String: Any]] ?? []
        #expect(servers.map { $0["server"] as? String } == [urls[0] + "/rpc", urls[1] + "/rpc"])
        // Connections 0 and 2 go to the first server, 1 to the second.
        #expect(servers.map { $0["connections"] as? Int } == [2, 1])
        let calls = servers.map { $0["calls"] as? Int ?? 0 }
        #expect(calls.allSatisfy { $0 > 0 })
        #expect(calls.reduce(0, +) == report["calls"] as? Int)
        #expect(servers.allSatisfy { ($0["errors"] as? [String: Any])?.isEmpty == true })
        #expect(servers.allSatisfy { $0["callsPerSecond"] is Double || $0["callsPerSecond"] is Int })
        #expect(report["violationCount"] as? Int == 0)

        let check = report["check"] as? [String: Any] ?? [:]
        #expect(check["passed"] as? Bool == false)
        let violations = check["violations"] as? [String] ?? []
        #expect(violations.contains { $0.hasPrefix("replicas disagree: load/p0 reserved limits.cpu=") && $0.contains(" at \(urls[0])/rpc; ")
            && $0.hasSuffix(" at \(urls[1])/rpc") }, "\(violations)")
        // Each server misses the leases granted by the other, and says so under its own name.
        #expect(violations.contains { $0.hasPrefix("\(urls[0])/rpc: missing: ") }, "\(violations)")
        #expect(violations.contains { $0.hasPrefix("\(urls[1])/rpc: missing: ") }, "\(violations)")
        // Every held lease was released through the server that granted it.
        #expect(check["releasedAfterCheck"] as? Int == check["leasesHeld"] as? Int)
        let onFirst = try first.client.result("inspect", ["pool": "load", "includeLeases": true])
        #expect((onFirst["pool"] as? [String: Any])?["activeLeases"] as? Int == 0)
        let onSecond = try second.client.result("inspect", ["pool": "load", "includeLeases": true])
        #expect((onSecond["leases"] as? [[String: Any]])?.map { $0["id"] as? String } == [foreign])
    }

    /// Two replicas on one PostgreSQL database (issue 9): quota-load drives both together, reports
    /// the combined throughput and each replica's share, and its check passes on both, which
    /// list every lease granted through either and report the same reserved amounts.
    @Test func twoReplicasOnOnePostgreSQLPassTheReplicaCheck() throws {
        let cluster = try PostgresCluster(fsync: false)
        defer { cluster.shutdown() }
        let url = try cluster.createDatabase("load")
        let first = try QuotadProcess(arguments: ["--store", url])
        let second = try QuotadProcess(arguments: ["--store", url])
        let urls = ["http://127.0.0.1:\(first.port)", "http://127.0.0.1:\(second.port)"]

        let run = try ExternalCommand.run([Self.quotaLoad.path, "--server", urls[0], "--server", urls[1],
            "--duration", "1s", "--connections", "4", "--pools", "2", "--seed", "17", "-o", "json",
        ])
        #expect(run.status == 0, "\(run.text)\n\(run.standardError)")
        let report = run.json
        let servers = report["servers"] as? [[String: Any]] ?? []
        #expect(servers.map { $0["connections"] as? Int } == [2, 2])
        let calls = servers.map { $0["calls"] as? Int ?? 0 }
        #expect(calls.allSatisfy { $0 > 0 })
        #expect(calls.reduce(0, +) == report["calls"] as? Int)
        #expect(report["succeeded"] as? Int == report["calls"] as? Int)
        #expect((report["errors"] as? [String: Any])?.isEmpty == true)
        let check = report["check"] as? [String: Any] ?? [:]
        #expect(check["passed"] as? Bool == true, "\(check)")
        #expect(check["pools"] as? Int == 3)
        #expect(check["releasedAfterCheck"] as? Int == check["leasesHeld"] as? Int)
        // Both replicas see the clean-up, whichever released.
        for server in [first, second] {
            let parent = try server.client.result("inspect", ["pool": "load"])
            #expect((parent["pool"] as? [String: Any])?["activeLeases"] as? Int == 0)
        }
    }

    @Test func aServerThatIsDownFailsTheCheckByName() throws {
        let server = try QuotadProcess(arguments: ["--store", "memory"])
        let up = "http://127.0.0.1:\(server.port)/rpc"
        let run = try ExternalCommand.run([Self.quotaLoad.path, "--server", up, "--server", "http://127.0.0.1:1",
            "--duration", "500ms", "--connections", "2", "--timeout", "2", "-o", "json",
        ])
        #expect(run.status == 1, "\(run.text)\n\(run.standardError)")
        let report = run.json
        let servers = report["servers"] as? [[String: Any]] ?? []
        #expect(servers.count == 2)
        #expect((servers.first?["errors"] as? [String: Any])?.isEmpty == true)
        #expect((servers.last?["errors"] as? [String: Any])?["transport"] as? Int ?? 0 > 0)
        let violations = (report["check"] as? [String: Any])?["violations"] as? [String] ?? []
        #expect(violations.contains { $0.hasPrefix("http://127.0.0.1:1/rpc: cannot be checked: transport: ") }, "\(violations)")
        #expect(!violations.contains { $0.hasPrefix(up) }, "\(violations)")
    }

    @Test func unreachableServerAndBadFlagsExitWithReasons() throws {
        let refused = try ExternalCommand.run([Self.quotaLoad.path, "--server", "http://127.0.0.1:1", "--duration", "1s", "--timeout", "2"])
        #expect(refused.status == 2)
        #expect(refused.standardError.contains("quota-load: transport"))
        let badMix = try ExternalCommand.run([Self.quotaLoad.path, "--mix", "reserve=1,delete=1"])
        #expect(badMix.status == 2)
        #expect(badMix.standardError.contains("--mix \"reserve=1,delete=1\": unknown operation \"delete\""))
    }
}

/// The benchmark's own pieces, cheaply: bench/null-server.c builds with cc and libevent, and
/// quota-load measures it with `--no-check` (no set-up, answers only parsed).
@Suite(.serialized)
struct BenchPiecesTests {
    @Test func nullServerBuildsAndQuotaLoadMeasuresIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("null-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = folder.appendingPathComponent("null-server")
        let source = ExternalCommand.repositoryRoot.appendingPathComponent("bench/null-server.c")
        let build = try ExternalCommand.run(["/bin/sh",
            "-c", "cc -O2 -Wall -Werror -o '\(binary.path)' '\(source.path)' $(pkg-config --cflags --libs libevent)",
        ])
        #expect(build.status == 0, "\(build.standardError)")

        let null = Process()
        null.executableURL = binary
        null.arguments = ["0"]
        let output = Pipe()
        null.standardOutput = output
        try null.run()
        defer { kill(null.processIdentifier, SIGKILL); null.waitUntilExit() }
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(line.split(separator: ":").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })

        let run = try ExternalCommand.run([QuotaLoadToolTests.quotaLoad.path,
            "--server", "http://127.0.0.1:\(port)", "--no-check", "--duration", "500ms", "--connections", "2", "-o", "json",
        ])
        #expect(run.status == 0, "\(run.text)\n\(run.standardError)")
        let report = run.json
        #expect(report["requests"] as? Int ?? 0 > 0)
        #expect(report["succeeded"] as? Int == report["calls"] as? Int)
        #expect(report["check"] is NSNull)
    }
}
