import ArgumentParser
import Foundation
import JSON
import QuotaLoad

/// quota-load: scripted load against quotad, with latency in HDR histograms and an end-of-run
/// correctness check (issue 8).
@main
struct QuotaLoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota-load",
        abstract: "Drive quotad with virtual migration controllers and check it afterwards.",
        discussion: """
            Each connection is one controller: it reserves fresh lease ids in the load pools, \
            sometimes retries a reserve (idempotent), renews, releases, inspects. The pools are \
            <prefix> and <prefix>/p0 … set with setPool before the run. At the end every lease \
            still held must be active, no pool over capacity, and each pool's reserved the exact \
            sum of its active leases; then the held leases are released. With --server given \
            several times (replicas of one ledger, e.g. quotad on one PostgreSQL database), the \
            connections are spread round-robin over the servers and each keeps its server; the \
            pools are set up through the first; the report shows the combined figures and each \
            server's; at the end every server is checked so, must list every lease held through \
            any of them, and all must report the same reserved amounts per pool. Exit status: 0 \
            when everything held, 1 when a check failed (a server that cannot be inspected \
            fails it), 2 when the run could not be made.
            """
    )

    @Option(help: ArgumentHelp(
        "quotad's URL: http://HOST:PORT[/PATH] (path /rpc by default). Repeat it for replicas of one ledger: the connections go round-robin to them (default: http://127.0.0.1:8080).",
        valueName: "url"))
    var server: [String] = []

    @Option(help: "Keep-alive connections, one virtual migration controller each (1 to 10000).")
    var connections = 4

    @Option(help: "How long to send: 10s, 500ms, 2m.")
    var duration = "10s"

    @Option(help: "Open loop: HTTP requests per second over all connections (as wrk2); latency counts from each request's intended send time. Without it: closed loop.")
    var rate: Double?

    @Option(help: "Weights of reserve, retry, renew, release, inspect.")
    var mix = OperationMix.default.description

    @Option(help: "Load pools under --pool-prefix (1 to 1000).")
    var pools = 1

    @Option(help: "Calls per HTTP request, sent as a JSON-RPC batch when above 1 (1 to 1000).")
    var batch = 1

    @Option(help: "Sent as 'Authorization: Bearer TOKEN'.")
    var token: String?

    @Option(help: "Seed of the controllers' choices (lease ids also carry a per-run nonce).")
    var seed: UInt64 = 1

    @Option(help: "The parent pool of the load pools.")
    var poolPrefix = "load"

    @Option(help: "Leases each load pool has room for (each holds 100m limits.cpu, 128Mi limits.memory).")
    var poolCapacity = 1_000_000

    @Option(help: "Seconds a request may take before it counts as a transport error.")
    var timeout: Double = 10

    @Flag(help: "No pool set-up, no judging of answers, no end-of-run check (for servers that are not quotad).")
    var noCheck = false

    @Option(name: .short, help: "Output: text or json.")
    var output = "text"

    func run() throws {
        guard output == "text" || output == "json" else {
            throw ValidationError("-o \"\(output)\": expected text or json")
        }
        let result: LoadResult
        do {
            var configuration = try LoadConfiguration(servers: server.isEmpty ? ["http://127.0.0.1:8080"] : server)
            configuration.connections = connections
            configuration.durationSeconds = try LoadConfiguration.parseDuration(duration)
            configuration.rate = rate
            configuration.mix = try OperationMix(parsing: mix)
            configuration.pools = pools
            configuration.batch = batch
            configuration.token = token
            configuration.seed = seed
            configuration.poolPrefix = poolPrefix
            configuration.poolCapacityLeases = poolCapacity
            configuration.timeoutSeconds = timeout
            configuration.checks = !noCheck
            result = try LoadRunner(configuration: configuration).run()
        } catch {
            FileHandle.standardError.write(Data("quota-load: \(error)\n".utf8))
            throw ExitCode(2)
        }
        print(output == "json" ? JSONWriter.string(result.json) : result.text)
        if !result.passed { throw ExitCode(1) }
    }
}
