import Testing
@testable import QuotaLoad

/// Flags are checked before any traffic; each refusal names the flag and the value.
struct LoadConfigurationTests {
    @Test func mixParsesWeightsInOperationOrder() throws {
        let mix = try OperationMix(parsing: "inspect=10,reserve=45,release=45,renew=0")
        #expect(mix.description == "reserve=45,release=45,inspect=10")
        #expect(mix.total == 100)
        #expect(mix.operation(at: 0) == .reserve)
        #expect(mix.operation(at: 44) == .reserve)
        #expect(mix.operation(at: 45) == .release)
        #expect(mix.operation(at: 99) == .inspect)
    }

    @Test func badMixesAreRefusedByName() {
        #expect(throws: LoadError.invalidFlag(flag: "--mix", value: "reserve=1,delete=2",
                                              reason: "unknown operation \"delete\" (reserve, retry, renew, release, inspect)")) {
            try OperationMix(parsing: "reserve=1,delete=2")
        }
        #expect(throws: LoadError.invalidFlag(flag: "--mix", value: "reserve", reason: "\"reserve\" is not name=weight")) {
            try OperationMix(parsing: "reserve")
        }
        #expect(throws: LoadError.invalidFlag(flag: "--mix", value: "reserve=0", reason: "all weights are 0")) {
            try OperationMix(parsing: "reserve=0")
        }
        #expect(throws: LoadError.invalidFlag(flag: "--mix", value: "reserve=1,reserve=2", reason: "reserve is given twice")) {
            try OperationMix(parsing: "reserve=1,reserve=2")
        }
    }

    @Test func durations() throws {
        #expect(try LoadConfiguration.parseDuration("10s") == 10)
        #expect(try LoadConfiguration.parseDuration("500ms") == 0.5)
        #expect(try LoadConfiguration.parseDuration("2m") == 120)
        #expect(try LoadConfiguration.parseDuration("1.5") == 1.5)
        #expect(throws: LoadError.invalidFlag(flag: "--duration", value: "-1s",
                                              reason: "expected a positive duration such as 10s, 500ms, 2m")) {
            try LoadConfiguration.parseDuration("-1s")
        }
    }

    @Test func serverURLs() throws {
        let configuration = try LoadConfiguration(server: "http://127.0.0.1:9090")
        #expect(configuration.servers == [try ServerAddress(parsing: "http://127.0.0.1:9090/rpc")])
        #expect(configuration.servers[0].host == "127.0.0.1")
        #expect(configuration.servers[0].port == 9090)
        #expect(configuration.servers[0].path == "/rpc")
        #expect(throws: LoadError.invalidFlag(flag: "--server", value: "https://x:1", reason: "expected http://HOST:PORT[/PATH]")) {
            try LoadConfiguration(server: "https://x:1")
        }
    }

    @Test func severalServersAreSharedRoundRobin() throws {
        var configuration = try LoadConfiguration(servers: ["http://127.0.0.1:9090", "http://127.0.0.1:9091/other"])
        #expect(configuration.servers.map(\.description) == ["http://127.0.0.1:9090/rpc", "http://127.0.0.1:9091/other"])
        configuration.connections = 5
        #expect((0..<5).map(configuration.serverIndex(ofConnection:)) == [0, 1, 0, 1, 0])
        try configuration.validate()
    }

    @Test func serverListsAreChecked() throws {
        #expect(throws: LoadError.invalidFlag(flag: "--server", value: "http://127.0.0.1:9090/rpc",
                                              reason: "http://127.0.0.1:9090/rpc is given twice")) {
            try LoadConfiguration(servers: ["http://127.0.0.1:9090", "http://127.0.0.1:9090/rpc"])
        }
        #expect(throws: LoadError.invalidFlag(flag: "--server", value: "", reason: "give at least one server")) {
            try LoadConfiguration(servers: [])
        }
        var configuration = try LoadConfiguration(servers: ["http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"])
        configuration.connections = 2
        #expect(throws: LoadError.invalidFlag(flag: "--connections", value: "2",
                                              reason: "must be at least the number of servers (3), so that each gets one")) {
            try configuration.validate()
        }
    }

    @Test func rangesAreChecked() throws {
        var configuration = try LoadConfiguration(server: "http://127.0.0.1:1")
        configuration.batch = 1001
        #expect(throws: LoadError.invalidFlag(flag: "--batch", value: "1001", reason: "must be 1 to 1000 (quotad's --max-batch default)")) {
            try configuration.validate()
        }
        configuration.batch = 1
        configuration.connections = 0
        #expect(throws: LoadError.invalidFlag(flag: "--connections", value: "0", reason: "must be 1 to 10000")) {
            try configuration.validate()
        }
    }
}
