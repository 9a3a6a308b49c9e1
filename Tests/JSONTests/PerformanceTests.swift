import Foundation
import JSON
import Testing

/// Compares JSONReader with Foundation's JSONSerialization on a typical request.
/// Prints the numbers; never asserts on wall-clock time.
@Suite struct PerformanceTests {
    /// A reserve call with two resources, about 300 bytes.
    static let request = Array(#"""
    {"jsonrpc":"2.0","method":"quota.reserve","params":{"pool":"gpu-cluster-east","holder":"batch-job-7f3a9c","resources":[{"name":"nvidia.com/gpu","amount":4},{"name":"memory","amount":68719476736}],"ttl_ms":300000,"idempotency_key":"c0ffee12-3456-789a-bcde-f0123456789a","note":"nightly run"},"id":9007199254740993}
    """#.utf8)

    @Test func readerVersusJSONSerialization() throws {
        let bytes = Self.request
        let data = Data(bytes)
        #expect((250...400).contains(bytes.count))
        // Both must accept it.
        _ = try JSONReader.parse(bytes)
        _ = try JSONSerialization.jsonObject(with: data)

        let iterations = 20_000
        let clock = ContinuousClock()
        var sink = 0

        // Warm up both.
        for _ in 0..<1_000 {
            if case .object(let o) = try JSONReader.parse(bytes) { sink &+= o.count }
            if let d = try JSONSerialization.jsonObject(with: data) as? [String: Any] { sink &+= d.count }
        }

        var best = (ours: Duration.seconds(1000), foundation: Duration.seconds(1000))
        for _ in 0..<3 {
            let ours = try clock.measure {
                for _ in 0..<iterations {
                    if case .object(let o) = try JSONReader.parse(bytes) { sink &+= o.count }
                }
            }
            let foundation = try clock.measure {
                for _ in 0..<iterations {
                    if let d = try JSONSerialization.jsonObject(with: data) as? [String: Any] { sink &+= d.count }
                }
            }
            best = (min(best.ours, ours), min(best.foundation, foundation))
        }
        let oursNs = Double(best.ours.components.attoseconds) / 1e9 / Double(iterations) + Double(best.ours.components.seconds) * 1e9 / Double(iterations)
        let foundationNs = Double(best.foundation.components.attoseconds) / 1e9 / Double(iterations) + Double(best.foundation.components.seconds) * 1e9 / Double(iterations)
        #if DEBUG
        let mode = "debug"
        #else
        let mode = "release"
        #endif
        print("""
            JSON parse of a \(bytes.count)-byte request (\(mode) build, best of 3 x \(iterations)): \
            JSONReader \(Int(oursNs)) ns, JSONSerialization \(Int(foundationNs)) ns, \
            ratio JSONSerialization/JSONReader = \(String(format: "%.2f", foundationNs / oursNs))x (sink \(sink % 10))
            """)
    }
}
