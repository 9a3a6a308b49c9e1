import Foundation
import Testing

/// examples/python against the real quotad (issue 8): the client's unittest suite and the drain
/// simulation, each run with python3 as a user would.
@Suite(.serialized)
struct PythonExampleTests {
    static var examples: URL { ExternalCommand.repositoryRoot.appendingPathComponent("examples/python") }

    @Test func clientTestsPass() throws {
        let server = try QuotadProcess(arguments: ["--store", "memory"])
        let run = try ExternalCommand.run(["python3", "-m", "unittest", "-v", "test_quota_client"],
                                          in: Self.examples, environment: ["QUOTAD_URL": "http://127.0.0.1:\(server.port)"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.contains("test_typed_exceptions"))
        #expect(run.standardError.hasSuffix("OK\n"))
    }

    @Test func drainSimulationMigratesEveryVMAndGivesTheHeadroomBack() throws {
        let server = try QuotadProcess()
        let run = try ExternalCommand.run(["python3", "drain_simulation.py", "--server", "http://127.0.0.1:\(server.port)",
                                           "--clusters", "3", "--vms", "6", "--parallel", "2"], in: Self.examples)
        #expect(run.status == 0, "\(run.text)\n\(run.standardError)")
        #expect(run.text.contains("drain finished: 18 VMs migrated"))
        #expect(run.text.contains("peak concurrent migrations per cluster: drain-0 2, drain-1 2, drain-2 2"))
        #expect(run.text.contains("headroom reserved after the drain: none"))
        #expect(run.text.hasSuffix("OK\n"))
        let totals = try server.client.result("inspect", ["labelSelector": "purpose=drain-simulation"])
        #expect((totals["pools"] as? [Any])?.count == 3)
    }
}
