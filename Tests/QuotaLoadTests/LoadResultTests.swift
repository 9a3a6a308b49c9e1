import JSON
import Testing
@testable import QuotaLoad

/// The report of a run over several servers: combined figures, and each server's part.
struct LoadResultTests {
    static func statistics(calls: Int, nanoseconds: UInt64, errors: [String: Int] = [:]) -> LoadStatistics {
        var statistics = LoadStatistics()
        for _ in 0..<calls {
            statistics.recordRequest(nanoseconds: nanoseconds)
            statistics.record(.reserve, nanoseconds: nanoseconds)
            statistics.succeeded += 1
        }
        for (key, count) in errors { statistics.count(error: key, calls: count) }
        return statistics
    }

    @Test func statisticsAddUp() {
        var first = Self.statistics(calls: 3, nanoseconds: 1_000_000)
        first.violation("one")
        var second = Self.statistics(calls: 5, nanoseconds: 3_000_000, errors: ["1002": 2])
        second.violation("two")
        let all = LoadStatistics.combined([first, second])
        #expect(all.requests == 8)
        #expect(all.succeeded == 8)
        #expect(all.allCalls.totalCount == 8)
        #expect(all.latency[.reserve]?.max ?? 0 >= 3_000_000)
        #expect(all.errors == ["1002": 2])
        #expect(all.violations == ["one", "two"])
        #expect(all.violationCount == 2)
    }

    @Test func reportShowsEachServersShare() throws {
        var configuration = try LoadConfiguration(servers: ["http://127.0.0.1:9001", "http://127.0.0.1:9002"])
        configuration.connections = 3
        let a = Self.statistics(calls: 40, nanoseconds: 2_000_000)
        let b = Self.statistics(calls: 20, nanoseconds: 4_000_000, errors: ["-32001": 1])
        let result = LoadResult(
            configuration: configuration, elapsedSeconds: 2, statistics: .combined([a, b]),
            servers: [ServerResult(server: configuration.servers[0], connections: 2, statistics: a),
                      ServerResult(server: configuration.servers[1], connections: 1, statistics: b)],
            check: nil)

        let text = result.text
        #expect(text.hasPrefix("quota-load: 3 connections over 2 servers, "))
        #expect(text.contains("calls: 60 (30.0 /s)"))
        #expect(text.contains("server http://127.0.0.1:9001/rpc: 2 connections, 40 calls (20.0 ops/s), p50 2.0 ms, p99 2.0 ms, errors: none"))
        #expect(text.contains("server http://127.0.0.1:9002/rpc: 1 connections, 20 calls (10.0 ops/s), p50 4.0 ms, p99 4.0 ms, errors: -32001 StoreUnavailable 1"))

        let json = result.json
        #expect(json["server"]?.stringValue == "http://127.0.0.1:9001/rpc")
        #expect(json["calls"]?.int64Value == 60)
        let servers = try #require(json["servers"]?.arrayValue)
        #expect(servers.count == 2)
        #expect(servers[0]["server"]?.stringValue == "http://127.0.0.1:9001/rpc")
        #expect(servers[0]["connections"]?.int64Value == 2)
        #expect(servers[0]["calls"]?.int64Value == 40)
        #expect(servers[0]["callsPerSecond"]?.numberValue?.doubleValue == 20)
        #expect(servers[1]["callsPerSecond"]?.numberValue?.doubleValue == 10)
        #expect(servers[1]["errors"]?["-32001"]?.int64Value == 1)
        #expect(servers[1]["all"]?["latencyMs"]?["p99"]?.numberValue?.doubleValue == 4)
    }

    @Test func oneServerIsItsOwnBreakdown() throws {
        let configuration = try LoadConfiguration(server: "http://127.0.0.1:9001")
        let result = LoadResult(configuration: configuration, elapsedSeconds: 1, statistics: Self.statistics(calls: 7, nanoseconds: 1_000),
                                check: nil)
        #expect(!result.text.contains("server http://"))
        let servers = try #require(result.json["servers"]?.arrayValue)
        #expect(servers.count == 1)
        #expect(servers[0]["connections"]?.int64Value == 4)
        #expect(servers[0]["calls"]?.int64Value == 7)
    }
}
