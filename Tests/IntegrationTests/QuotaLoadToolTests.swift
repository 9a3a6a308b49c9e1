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
