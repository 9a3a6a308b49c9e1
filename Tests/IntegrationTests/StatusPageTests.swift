import Foundation
import Testing

/// The status page of the real binary, loaded in Debian's headless Chromium with 500 pools and
/// 5,000 leases (issue #7). Set QUOTAD_STATUS_SCREENSHOT to a path to keep the screenshot (the
/// README's is made so: `QUOTAD_STATUS_SCREENSHOT=$PWD/docs/status-page.png scripts/test --filter StatusPageTests`).
@Suite(.serialized)
struct StatusPageTests {
    static let clusters = 10
    static let namespacesPerCluster = 49
    static let leases = 5000
    static let hostileVM = #"<script>document.title='pwned'</script><img id="injected" src=x>"#
    static let hostileHolder = #""><b id="forged">forged</b>"#

    /// Sends calls in batches of at most 1000 and checks that each succeeded.
    static func batch(_ client: RPCClient, _ calls: [(String, [String: Any])]) throws {
        for start in stride(from: 0, to: calls.count, by: 1000) {
            let chunk = calls[start..<min(start + 1000, calls.count)]
            let body = chunk.enumerated().map { ["jsonrpc": "2.0", "id": start + $0.offset, "method": $0.element.0, "params": $0.element.1] as [String: Any] }
            let response = try client.post(JSONSerialization.data(withJSONObject: body))
            let answers = try #require(response.json as? [[String: Any]])
            let failures = answers.filter { $0["error"] != nil }
            try #require(failures.isEmpty, "\(failures.prefix(3))")
        }
    }

    /// 10 clusters × (1 + 49 namespaces) = 500 pools; 5,000 leases spread over the namespaces.
    static func populate(_ client: RPCClient) throws {
        var pools: [(String, [String: Any])] = []
        for c in 0..<clusters {
            pools.append(("setPool", ["pool": "cluster-\(c)", "capacity": ["limits.cpu": "2000", "limits.memory": "8Ti"],
                                      "labels": ["owner": #"<i>ops</i> & "team""#]]))
            for n in 0..<namespacesPerCluster {
                pools.append(("setPool", ["pool": "cluster-\(c)/ns-\(n)", "capacity": ["limits.cpu": "40", "limits.memory": "160Gi"],
                                          "base": ["limits.cpu": "20", "limits.memory": "64Gi"]]))
            }
        }
        try batch(client, pools)
        var reserves: [(String, [String: Any])] = []
        for i in 0..<leases {
            let c = i % clusters, n = (i / clusters) % namespacesPerCluster
            let hostile = i == 0
            reserves.append(("reserve", [
                "pool": "cluster-\(c)/ns-\(n)", "lease": String(format: "00000000-0000-4000-8000-%012d", i),
                "resources": ["limits.cpu": "\(1 + i % 4)", "limits.memory": "\(2 + i % 6)Gi"],
                // The hostile lease expires first, so it is on the first page.
                "ttlSeconds": hostile ? 600 : 900 + i % 3000,
                "holder": hostile ? hostileHolder : "kubevirt-controller-\(c)",
                "labels": ["vmName": hostile ? hostileVM : "vm-\(c)-\(n)-\(i)-live-migration-target"],
            ]))
        }
        try batch(client, reserves)
    }

    /// Runs headless Chromium on a URL with extra flags; a fresh profile each time.
    static func chromium(_ flags: [String], url: String) throws -> ExternalCommand.Output {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("quotad-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let output = try ExternalCommand.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--user-data-dir=\(profile.path)"] + flags + [url],
            timeout: 120)
        try #require(output.status == 0, "chromium failed: \(output.standardError.suffix(2000))")
        return output
    }

    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    @Test func pageShowsPoolsAsATreeAndLeasesPaginatedInHeadlessChromium() throws {
        let server = try QuotadProcess(arguments: ["--store", "memory"])
        let client = server.client
        try Self.populate(client)
        let base = "http://127.0.0.1:\(server.port)"

        let head = try client.request("GET", "/")
        #expect(head.status == 200)
        #expect(head.headers["content-type"] == "text/html; charset=utf-8")
        #expect(head.headers["content-security-policy"]?.contains("default-src 'none'") == true)

        let dom = try Self.chromium(["--dump-dom"], url: base + "/").text
        #expect(dom.contains("<title>quotad status</title>"), "the hostile label did not rename the page")
        #expect(dom.contains(#"id="pool-count">500 pools"#))
        #expect(dom.contains(#"id="lease-count">5000 active leases"#))
        #expect(dom.contains(#"id="ready">ready"#))
        #expect(dom.contains("page 1 of 25 (500 pools)"))
        #expect(dom.contains("page 1 of 100 (5000 leases)"))
        #expect(Self.count(#"<tr class="lease">"#, in: dom) == 50)
        #expect(Self.count(#"<tr class="pool "#, in: dom) == 20)
        // The tree: a cluster row, then its namespaces indented below it.
        #expect(dom.contains(#"data-pool="cluster-0""#) && dom.contains(#"data-pool="cluster-0/ns-0""#))
        let cluster = try #require(dom.range(of: #"data-pool="cluster-0""#))
        let namespace = try #require(dom.range(of: #"data-pool="cluster-0/ns-0""#))
        #expect(cluster.lowerBound < namespace.lowerBound)
        // Bars: reserved versus capacity, effective versus base.
        #expect(dom.contains(#"class="bar reserved"#))
        #expect(dom.contains(#"class="bar base"#))
        // Hostile ledger text is shown as text, never as markup.
        #expect(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;&lt;img id=\"injected\" src=x&gt;"))
        #expect(!dom.contains(#"<img"#))
        #expect(!dom.contains(#"<b id="forged""#))
        #expect(dom.contains("&lt;b id=\"forged\"&gt;forged&lt;/b&gt;"))
        #expect(dom.contains("&lt;i&gt;ops&lt;/i&gt; &amp; \"team\""))
        #expect(!dom.contains("<script"))
        // The soonest-expiring lease is first; time left is shown.
        let firstLease = try #require(dom.range(of: #"<tr class="lease">"#))
        let firstRow = dom[firstLease.upperBound...].prefix { $0 != "\n" }
        #expect(firstRow.contains("&lt;script&gt;"))
        // Its TTL is 600 s: some minutes and seconds are left, however slow the machine.
        #expect(firstRow.contains(#"<td class="left">"#) && firstRow.contains("m ") && firstRow.contains("s</td>"))

        // One cluster, third page of its leases.
        let narrowed = try Self.chromium(["--dump-dom"], url: base + "/?pool=cluster-3&lp=3").text
        #expect(narrowed.contains("page 1 of 3 (50 pools)"))
        #expect(narrowed.contains("page 3 of 10 (500 leases)"))
        #expect(Self.count(#"<tr class="pool "#, in: narrowed) == 20)
        #expect(!narrowed.contains(#"data-pool="cluster-4"#))
        #expect(Self.count(#"<tr class="lease">"#, in: narrowed) == 50)
        #expect(narrowed.contains(#"href="/?pool=cluster-3&amp;pp=2&amp;lp=3">next ›"#), "paging pools keeps the lease page and the filter")

        // A screenshot renders; keep it when asked.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quotad-shot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let shot = directory.appendingPathComponent("status-page.png")
        _ = try Self.chromium(["--screenshot=\(shot.path)", "--window-size=1400,2000", "--hide-scrollbars"], url: base + "/")
        let png = try Data(contentsOf: shot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(png.count > 20_000)
        if let keep = ProcessInfo.processInfo.environment["QUOTAD_STATUS_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(at: shot, to: URL(fileURLWithPath: keep))
        }
    }
}
