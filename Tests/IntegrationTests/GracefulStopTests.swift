import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM under load (found by the second hostile pass): every change quotad committed is
/// answered before the connections close, and a request that got no answer changed nothing.
@Suite struct GracefulStopTests {
    final class Outcomes: @unchecked Sendable {
        let lock = NSLock()
        var answered: [String] = []
        var unanswered: [String] = []
        var refused = 0
        func record(_ body: (Outcomes) -> Void) { lock.lock(); body(self); lock.unlock() }
    }

    @Test func sigtermAnswersEveryCommittedCallAndChangesNothingUnanswered() throws {
        let server = try QuotadProcess()
        _ = try server.client.result("setPool", ["pool": "c1", "capacity": [:]])
        let outcomes = Outcomes()
        let done = DispatchGroup()
        let started = DispatchSemaphore(value: 0)
        for worker in 0..<16 {
            done.enter()
            let port = server.port
            Thread {
                defer { done.leave() }
                guard let connection = try? KeepAliveConnection(port: port) else { return }
                // At most 5,000 calls or 30 s per connection; SIGTERM ends it much sooner.
                let giveUp = Date().addingTimeInterval(30)
                for call in 0..<5_000 where Date() < giveUp {
                    if worker == 0 && call == 50 { started.signal() }
                    let id = UUID().uuidString.lowercased()
                    let body = #"{"jsonrpc":"2.0","id":1,"method":"reserve","params":{"pool":"c1","lease":"\#(id)","resources":{"limits.cpu":"1"}}}"#
                    guard let response = try? connection.post(body) else {
                        outcomes.record { $0.unanswered.append(id) }
                        return
                    }
                    if response.status == 503 {
                        outcomes.record { $0.refused += 1 }
                        return
                    }
                    guard (response.object["result"] as? [String: Any])?["created"] as? Bool == true else {
                        outcomes.record { $0.unanswered.append(id) }
                        return
                    }
                    outcomes.record { $0.answered.append(id) }
                }
            }.start()
        }
        #expect(started.wait(timeout: .now() + 60) == .success)
        server.stop(signal: SIGTERM)
        #expect(server.process.terminationStatus == 0)
        #expect(done.wait(timeout: .now() + 60) == .success)

        let restarted = try QuotadProcess(dataDirectory: server.dataDirectory)
        let held = Set((try restarted.client.result("inspect", ["pool": "c1", "includeLeases": true])["leases"] as? [[String: Any]] ?? [])
            .compactMap { $0["id"] as? String })
        outcomes.record { state in
            #expect(!state.answered.isEmpty)
            for id in state.answered { #expect(held.contains(id), "acknowledged lease \(id) was lost") }
            let committedWithoutAnswer = state.unanswered.filter(held.contains)
            #expect(committedWithoutAnswer.isEmpty, "\(committedWithoutAnswer.count) of \(state.unanswered.count) unanswered calls were committed")
            #expect(held.count == state.answered.count)
            print("graceful stop: \(state.answered.count) answered, \(state.unanswered.count) unanswered, \(state.refused) refused with 503")
        }
    }
}
