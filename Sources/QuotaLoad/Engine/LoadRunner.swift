internal import CLibevent
import EventHTTP
import JSON
#if canImport(Glibc)
import Glibc
#endif

/// Runs one quota-load run: sets the pools up, drives `connections` virtual controllers on one
/// libevent loop for the duration, closed-loop or open-loop, then checks the server (issue 8).
public final class LoadRunner {
    private let configuration: LoadConfiguration
    private let loop: EventLoop
    private var base: OpaquePointer { loop.base }
    private var clients: [LoadClient] = []
    private var statistics = LoadStatistics()
    private var startNanoseconds: UInt64 = 0
    private var endNanoseconds: UInt64 = 0
    private var lastAnswerNanoseconds: UInt64 = 0
    private var finishedClients = 0

    /// - Throws: ``LoadError/invalidFlag(flag:value:reason:)`` for an invalid configuration,
    ///   ``LoadError/transport(_:)`` when libevent cannot make a loop.
    public init(configuration: LoadConfiguration) throws(LoadError) {
        try configuration.validate()
        self.configuration = configuration
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

    /// Sets the pools up, runs the load, waits for every answer (at most the request timeout
    /// past the duration), then checks and releases what the controllers still hold. Call it once
    /// per runner.
    /// - Returns: what was measured and the check's outcome.
    /// - Throws: ``LoadError/transport(_:)`` or ``LoadError/setup(_:)`` when the server cannot
    ///   be set up or inspected; the load's own errors are counted in the result instead.
    public func run() throws(LoadError) -> LoadResult {
        guard clients.isEmpty else { throw .setup("a LoadRunner runs once") }
        _ = signal(SIGPIPE, SIG_IGN)
        let rpc = try BlockingRPC(base: base, configuration: configuration)
        if configuration.checks { try PoolSetup(configuration: configuration).apply(with: rpc) }

        let nonce = (UInt64(truncatingIfNeeded: time(nil)) &* 0x2545_F491_4F6C_DD1D ^ MonotonicClock.now(),
                     UInt64(UInt32(truncatingIfNeeded: getpid())) << 32 ^ MonotonicClock.now() &* 31)
        for index in 0..<configuration.connections {
            let exchange = try HTTPExchange(base: base, host: configuration.host, port: configuration.port, path: configuration.path,
                                            token: configuration.token, timeoutSeconds: configuration.timeoutSeconds)
            clients.append(LoadClient(index: index, exchange: exchange,
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
        let unanswered = clients.filter(\.exchange.isBusy).count
        if unanswered > 0 { statistics.count(error: "transport", calls: unanswered * configuration.batch) }
        for client in clients { client.timer?.cancel() }
        let elapsed = Double(lastAnswerNanoseconds - startNanoseconds) / 1e9

        var check: CheckOutcome?
        if configuration.checks {
            let held = clients.flatMap(\.controller.held)
            var snapshots: [PoolSnapshot] = []
            for pool in [configuration.poolPrefix] + configuration.poolNames {
                let result = try rpc.call("inspect", params: "{\"pool\":\"\(pool)\",\"includeLeases\":true}")
                snapshots.append(try PoolSnapshot(inspectResult: result))
            }
            var violations = ConsistencyCheck.violations(snapshots: snapshots, held: held)
            if unanswered > 0 { violations.append("transport: \(unanswered) requests got no answer") }
            let released = try PoolSetup(configuration: configuration).release(held, with: rpc)
            check = CheckOutcome(pools: snapshots.count, leasesHeld: held.count, releasedAfterCheck: released,
                                 violations: violations)
        }
        return LoadResult(configuration: configuration, elapsedSeconds: elapsed, statistics: statistics, check: check)
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
            receive(client, calls: calls, status: status, body: answer, latency: latency)
            advance(client)
        }
    }

    private func receive(_ client: LoadClient, calls: [PlannedCall], status: Int, body: [UInt8]?, latency: UInt64) {
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
    let exchange: HTTPExchange
    let controller: VirtualController
    /// Open loop: when the next request is due, and the timer that sends it.
    var nextIntended: UInt64 = 0
    var timer: EventTimer?

    init(index: Int, exchange: HTTPExchange, controller: VirtualController) {
        self.index = index
        self.exchange = exchange
        self.controller = controller
    }
}
