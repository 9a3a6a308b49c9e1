internal import CLibevent
import EventHTTP
import JSON
#if canImport(Glibc)
import Glibc
#endif

/// Runs one quota-load run: sets the pools up, drives `connections` virtual controllers on one
/// libevent loop for the duration, closed-loop or open-loop, spread round-robin over the servers,
/// then checks every server (issue 8; several replicas of one ledger: issue 9).
public final class LoadRunner {
    private let configuration: LoadConfiguration
    private let loop: EventLoop
    private var base: OpaquePointer { loop.base }
    private var clients: [LoadClient] = []
    /// What was measured, per server (indexed like ``LoadConfiguration/servers``).
    private var statistics: [LoadStatistics]
    private var startNanoseconds: UInt64 = 0
    private var endNanoseconds: UInt64 = 0
    private var lastAnswerNanoseconds: UInt64 = 0
    private var finishedClients = 0

    /// - Throws: ``LoadError/invalidFlag(flag:value:reason:)`` for an invalid configuration,
    ///   ``LoadError/transport(_:)`` when libevent cannot make a loop.
    public init(configuration: LoadConfiguration) throws(LoadError) {
        try configuration.validate()
        self.configuration = configuration
        statistics = Array(repeating: LoadStatistics(), count: configuration.servers.count)
        // Precise timers (timerfd on Linux): epoll's millisecond timeouts would send open-loop
        // requests up to 1 ms late, and that lateness would count as latency.
        do {
            loop = try EventLoop(preciseTimers: true)
        } catch {
            throw .transport("libevent cannot make an event base")
        }
    }

    deinit {
        // The connections go before the loop they live on.
        clients.removeAll()
    }

    /// Sets the pools up through the first server, runs the load, waits for every answer (at most
    /// the request timeout past the duration), then checks every server and releases what the
    /// controllers still hold, each lease through the server that granted it. Call it once per runner.
    /// - Returns: what was measured, in all and per server, and the check's outcome.
    /// - Throws: ``LoadError/transport(_:)`` or ``LoadError/setup(_:)`` when the first server
    ///   cannot be set up; the load's own errors are counted in the result instead, and a server
    ///   that cannot be inspected afterwards fails the check.
    public func run() throws(LoadError) -> LoadResult {
        guard clients.isEmpty else { throw .setup("a LoadRunner runs once") }
        _ = signal(SIGPIPE, SIG_IGN)
        let setup = try BlockingRPC(base: base, server: configuration.servers[0], configuration: configuration)
        if configuration.checks { try PoolSetup(configuration: configuration).apply(with: setup) }

        let nonce = (UInt64(truncatingIfNeeded: time(nil)) &* 0x2545_F491_4F6C_DD1D ^ MonotonicClock.now(),
                     UInt64(UInt32(truncatingIfNeeded: getpid())) << 32 ^ MonotonicClock.now() &* 31)
        for index in 0..<configuration.connections {
            let server = configuration.serverIndex(ofConnection: index)
            let address = configuration.servers[server]
            let exchange = try HTTPExchange(base: base, host: address.host, port: address.port, path: address.path,
                                            token: configuration.token, timeoutSeconds: configuration.timeoutSeconds)
            clients.append(LoadClient(index: index, server: server, exchange: exchange,
                                      controller: VirtualController(index: index, configuration: configuration, nonce: nonce)))
        }

        startNanoseconds = MonotonicClock.now()
        endNanoseconds = startNanoseconds + UInt64(configuration.durationSeconds * 1e9)
        lastAnswerNanoseconds = startNanoseconds
        let deadline = loop.makeTimer { [base] in _ = event_base_loopbreak(base) }
        deadline.schedule(afterSeconds: configuration.durationSeconds + configuration.timeoutSeconds + 2)
        for client in clients { start(client) }
        // Bounded in time by the deadline timer, which breaks the loop.
        while finishedClients < clients.count {
            if event_base_loop(base, EVLOOP_ONCE) != 0 || event_base_got_break(base) != 0 { break }
        }
        deadline.cancel()
        let unanswered = clients.filter(\.exchange.isBusy)
        for client in unanswered { statistics[client.server].count(error: "transport", calls: configuration.batch) }
        for client in clients { client.timer?.cancel() }
        let elapsed = Double(lastAnswerNanoseconds - startNanoseconds) / 1e9

        var check: CheckOutcome?
        if configuration.checks {
            check = try checkServers(setup: setup, unanswered: unanswered.count)
        }
        let servers = configuration.servers.enumerated().map { index, address in
            ServerResult(server: address, connections: clients.count(where: { $0.server == index }), statistics: statistics[index])
        }
        return LoadResult(configuration: configuration, elapsedSeconds: elapsed, statistics: .combined(statistics),
                          servers: servers, check: check)
    }

    /// The end-of-run check on every server, then the release of the held leases.
    ///
    /// Every server must list every lease any controller holds (replicas keep one ledger), pass
    /// ``ConsistencyCheck/violations(snapshots:held:)``, and report the same reserved amounts per
    /// pool as the others (``ConsistencyCheck/disagreements(_:)``). A server that cannot be
    /// inspected fails the check with the reason. Each controller's leases are then released
    /// through its own server, when that server could be inspected.
    /// - Parameters:
    ///   - setup: the first server's connection, already open.
    ///   - unanswered: requests that got no answer before the deadline.
    /// - Returns: the outcome; its violations name the server when there are several.
    private func checkServers(setup: BlockingRPC, unanswered: Int) throws(LoadError) -> CheckOutcome {
        let held = clients.flatMap(\.controller.held)
        let several = configuration.servers.count > 1
        var violations: [String] = []
        var views: [(server: String, snapshots: [PoolSnapshot])] = []
        var inspected: [Int: BlockingRPC] = [:]
        for (index, address) in configuration.servers.enumerated() {
            do throws(LoadError) {
                let rpc = index == 0 ? setup : try BlockingRPC(base: base, server: address, configuration: configuration)
                var snapshots: [PoolSnapshot] = []
                for pool in [configuration.poolPrefix] + configuration.poolNames {
                    let result = try rpc.call("inspect", params: "{\"pool\":\"\(pool)\",\"includeLeases\":true}")
                    snapshots.append(try PoolSnapshot(inspectResult: result))
                }
                views.append((address.description, snapshots))
                inspected[index] = rpc
                violations += ConsistencyCheck.violations(snapshots: snapshots, held: held).map { several ? "\(address): \($0)" : $0 }
            } catch {
                violations.append("\(address): cannot be checked: \(error)")
            }
        }
        violations += ConsistencyCheck.disagreements(views)
        if unanswered > 0 { violations.append("transport: \(unanswered) requests got no answer") }

        var released = 0
        for (index, rpc) in inspected.sorted(by: { $0.key < $1.key }) {
            let leases = clients.filter { $0.server == index }.flatMap(\.controller.held)
            do throws(LoadError) {
                released += try PoolSetup(configuration: configuration).release(leases, with: rpc)
            } catch {
                violations.append("\(rpc.server): releasing the held leases failed: \(error)")
            }
        }
        return CheckOutcome(pools: views.first?.snapshots.count ?? 0, leasesHeld: held.count, releasedAfterCheck: released,
                            violations: violations)
    }

    // MARK: - Scheduling

    private var intervalNanoseconds: UInt64? {
        configuration.rate.map { UInt64(Double(configuration.connections) / $0 * 1e9) }
    }

    private func start(_ client: LoadClient) {
        guard let interval = intervalNanoseconds else {
            send(client, intended: MonotonicClock.now())
            return
        }
        // Open loop: the clients' schedules are staggered evenly within one interval.
        client.nextIntended = startNanoseconds + interval * UInt64(client.index) / UInt64(configuration.connections)
        client.timer = loop.makeTimer { [unowned self, unowned client] in sendScheduled(client) }
        advance(client)
    }

    private func sendScheduled(_ client: LoadClient) {
        let intended = client.nextIntended
        client.nextIntended += intervalNanoseconds ?? 0
        send(client, intended: intended)
    }

    /// After an answer: the next request, now (closed loop, or open loop behind schedule), later
    /// (open loop ahead of schedule), or none once the duration is over.
    private func advance(_ client: LoadClient) {
        let now = MonotonicClock.now()
        guard now < endNanoseconds, intervalNanoseconds == nil || client.nextIntended < endNanoseconds else {
            finishedClients += 1
            if finishedClients == clients.count { _ = event_base_loopbreak(base) }
            return
        }
        if intervalNanoseconds == nil {
            send(client, intended: now)
        } else if now >= client.nextIntended {
            sendScheduled(client)
        } else {
            client.timer?.schedule(afterSeconds: Double(client.nextIntended - now) / 1e9)
        }
    }

    /// Sends the client's next calls. Latency counts from `intended`: for open loop the time the
    /// schedule says the request should have gone out, so a slow server is not hidden
    /// (coordinated omission, as wrk2 corrects it).
    private func send(_ client: LoadClient, intended: UInt64) {
        let calls = client.controller.plan(count: configuration.batch)
        let body = client.controller.body(for: calls)
        client.exchange.post(body) { [unowned self, unowned client] status, answer in
            let now = MonotonicClock.now()
            lastAnswerNanoseconds = max(lastAnswerNanoseconds, now)
            let latency = now >= intended ? now - intended : 0
            receive(client, calls: calls, status: status, body: answer, latency: latency, into: &statistics[client.server])
            advance(client)
        }
    }

    private func receive(_ client: LoadClient, calls: [PlannedCall], status: Int, body: [UInt8]?, latency: UInt64,
                         into statistics: inout LoadStatistics) {
        guard let body else {
            statistics.count(error: "transport", calls: calls.count)
            for call in calls { client.controller.judge(call, response: nil, into: &statistics) }
            return
        }
        statistics.recordRequest(nanoseconds: latency)
        for call in calls { statistics.record(call.operation, nanoseconds: latency) }
        guard status == 200 else {
            statistics.count(error: "http \(status)", calls: calls.count)
            for call in calls { client.controller.judge(call, response: nil, into: &statistics) }
            return
        }
        let parsed = try? JSONReader.parse(body)
        guard configuration.checks else {
            if parsed == nil { statistics.count(error: "protocol", calls: calls.count) } else { statistics.succeeded += calls.count }
            return
        }
        var responses: [JSONValue?] = Array(repeating: nil, count: calls.count)
        if calls.count == 1, let parsed, parsed.objectValue != nil {
            responses[0] = parsed
        } else if let array = parsed?.arrayValue {
            for response in array {
                if let id = response["id"]?.int64Value, id >= 0, id < calls.count { responses[Int(id)] = response }
            }
        }
        for (call, response) in zip(calls, responses) {
            if response == nil {
                statistics.count(error: "protocol")
                statistics.violation("\(call.operation.rawValue): no response to this call in the answer")
            }
            client.controller.judge(call, response: response, into: &statistics)
        }
    }
}

/// One connection and its virtual controller.
final class LoadClient {
    let index: Int
    /// The index of the server the connection goes to, for the whole run.
    let server: Int
    let exchange: HTTPExchange
    let controller: VirtualController
    /// Open loop: when the next request is due, and the timer that sends it.
    var nextIntended: UInt64 = 0
    var timer: EventTimer?

    init(index: Int, server: Int, exchange: HTTPExchange, controller: VirtualController) {
        self.index = index
        self.server = server
        self.exchange = exchange
        self.controller = controller
    }
}
