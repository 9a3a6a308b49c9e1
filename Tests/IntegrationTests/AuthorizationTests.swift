import Foundation
import QuotaAuth
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue #6 against the real binary over HTTP: every role and method, in and out of scope, batches
/// that mix permitted and forbidden calls, 401s, SIGHUP reload, safe defaults, and no token in logs.
@Suite struct AuthorizationTests {
    /// Tokens by principal name; the file holds only their SHA-256.
    static let tokens = [
        "admin": "admin-token-0f3a", "ctl-a": "ctl-a-token-81bc", "ctl-a2": "ctl-a2-token-77d1",
        "ctl-b": "ctl-b-token-4e02", "reader": "reader-token-c9a5", "reader-c1": "reader-c1-token-5b6e",
        "admin-c1": "admin-c1-token-2d97", "ctl-ns": "ctl-ns-token-90aa",
    ]
    static let principals: [(name: String, role: String, pools: [String])] = [
        ("admin", "admin", ["*"]), ("ctl-a", "controller", ["c1"]), ("ctl-a2", "controller", ["c1"]),
        ("ctl-b", "controller", ["c2"]), ("reader", "reader", ["*"]), ("reader-c1", "reader", ["c1"]),
        ("admin-c1", "admin", ["c1"]), ("ctl-ns", "controller", ["c1/ns"]),
    ]

    static func tokensFile(_ tokens: [String: String], in directory: URL, name: String = "tokens.yaml") throws -> URL {
        var text = "principals:\n"
        for principal in principals {
            guard let token = tokens[principal.name] else { continue }
            text += "  - name: \(principal.name)\n    role: \(principal.role)\n"
            text += "    pools: [\(principal.pools.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
            text += "    tokenSHA256: \(TokenDigest(of: token).hex)\n"
        }
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        chmod(url.path, 0o600)
        return url
    }

    /// A server with tokens, pools c1, c1/ns, c2, c2/ns, and clients per principal.
    struct Fixture {
        let server: QuotadProcess
        let file: URL
        func client(_ name: String?) -> RPCClient { server.client.with(token: name.flatMap { AuthorizationTests.tokens[$0] }) }

        init() throws {
            let directory = QuotadProcess.makeDataDirectory()
            file = try AuthorizationTests.tokensFile(AuthorizationTests.tokens, in: directory)
            server = try QuotadProcess(dataDirectory: directory, arguments: ["--tokens", file.path])
            let admin = server.client.with(token: AuthorizationTests.tokens["admin"])
            for pool in ["c1", "c1/ns", "c2", "c2/ns"] {
                _ = try admin.result("setPool", ["pool": pool, "capacity": ["limits.cpu": "10"], "labels": ["cluster": String(pool.prefix(2))]])
            }
        }

        /// A lease reserved by `holder` (through the admin, so any holder and pool).
        func lease(in pool: String, holder: String, vmName: String = "vm") throws -> String {
            let id = UUID().uuidString.lowercased()
            _ = try client("admin").result("reserve", [
                "pool": pool, "lease": id, "resources": ["limits.cpu": "1"], "holder": holder, "labels": ["vmName": vmName],
            ])
            return id
        }

        var revision: Int { get throws { try client("admin").result("inspect")["revision"] as? Int ?? -1 } }
    }

    /// Expects a call to be refused with 1008 and to change nothing.
    func forbidden(_ fixture: Fixture, _ who: String, _ method: String, _ params: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try fixture.revision
        let response = try fixture.client(who).call(method, params)
        let error = response["error"] as? [String: Any]
        #expect(error?["code"] as? Int == 1008, "\(who) \(method) \(params): \(response)", sourceLocation: sourceLocation)
        #expect((error?["data"] as? [String: Any])?["principal"] as? String == who, sourceLocation: sourceLocation)
        #expect(try fixture.revision == before, "\(who) \(method) changed something", sourceLocation: sourceLocation)
    }

    /// Expects a call to succeed.
    @discardableResult
    func allowed(_ fixture: Fixture, _ who: String, _ method: String, _ params: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let response = try fixture.client(who).call(method, params)
        #expect(response["result"] != nil, "\(who) \(method) \(params): \(response)", sourceLocation: sourceLocation)
        return response["result"] as? [String: Any] ?? [:]
    }

    @Test func adminMayDoEverythingEverywhere() throws {
        let f = try Fixture()
        try allowed(f, "admin", "setPool", ["pool": "c2/new", "capacity": ["limits.cpu": "1"]])
        try allowed(f, "admin", "deletePool", ["pool": "c2/new"])
        let other = try f.lease(in: "c2/ns", holder: "ctl-b")
        try allowed(f, "admin", "renew", ["lease": other])
        try allowed(f, "admin", "release", ["lease": other])
        try allowed(f, "admin", "reconcile", ["holder": "ctl-b", "leases": []])
        try allowed(f, "admin", "importAnnotations", ["pool": "c1/ns", "annotations": ["x": "y"]])
        #expect((try allowed(f, "admin", "inspect", [:])["pools"] as? [Any])?.count == 4)
        try allowed(f, "admin", "rpc.discover", [:])
    }

    @Test func controllerActsOnlyInItsPoolsOnItsOwnLeases() throws {
        let f = try Fixture()
        // Pools are the admin's.
        try forbidden(f, "ctl-a", "setPool", ["pool": "c1/x", "capacity": ["limits.cpu": "1"]])
        try forbidden(f, "ctl-a", "deletePool", ["pool": "c1/ns"])
        try forbidden(f, "ctl-a", "importAnnotations", ["pool": "c1/ns", "annotations": [:]])
        // reserve: in scope, as itself.
        let mine = UUID().uuidString.lowercased()
        let reserved = try allowed(f, "ctl-a", "reserve", ["pool": "c1/ns", "lease": mine, "resources": ["limits.cpu": "1"], "labels": ["vmName": "vm-a"]])
        #expect((reserved["lease"] as? [String: Any])?["holder"] as? String == "ctl-a")
        try forbidden(f, "ctl-a", "reserve", ["pool": "c2/ns", "lease": UUID().uuidString, "resources": ["limits.cpu": "1"]])
        try forbidden(f, "ctl-a", "reserve", ["pool": "c1/ns", "lease": UUID().uuidString, "resources": ["limits.cpu": "1"], "holder": "ctl-a2"])
        // Another controller's lease, in scope or not.
        let peers = try f.lease(in: "c1/ns", holder: "ctl-a2", vmName: "vm-peer")
        let foreign = try f.lease(in: "c2/ns", holder: "ctl-b")
        for id in [peers, foreign] {
            try forbidden(f, "ctl-a", "release", ["lease": id])
            try forbidden(f, "ctl-a", "renew", ["lease": id])
        }
        // Reading is by scope only.
        try allowed(f, "ctl-a", "inspect", ["lease": peers])
        try forbidden(f, "ctl-a", "inspect", ["lease": foreign])
        try forbidden(f, "ctl-a", "release", ["pool": "c1/ns", "vmName": "vm-peer"])
        try forbidden(f, "ctl-a", "reserve", ["pool": "c1/ns", "lease": peers, "resources": ["limits.cpu": "1"]])
        // reconcile: only itself, only in scope.
        try forbidden(f, "ctl-a", "reconcile", ["holder": "ctl-a2", "leases": []])
        try forbidden(f, "ctl-a", "reconcile", ["holder": "ctl-a", "pool": "c2", "leases": []])
        let reconciled = try allowed(f, "ctl-a", "reconcile", ["holder": "ctl-a", "leases": [mine]])
        #expect((reconciled["released"] as? [Any])?.isEmpty == true)
        // Its own lease.
        try allowed(f, "ctl-a", "renew", ["lease": mine])
        try allowed(f, "ctl-a", "inspect", ["pool": "c1/ns", "vmName": "vm-a"])
        let released = try allowed(f, "ctl-a", "release", ["pool": "c1/ns", "vmName": "vm-a"])
        #expect(released["released"] as? Bool == true)
        // The peer's lease is untouched.
        #expect(try f.client("admin").result("inspect", ["lease": peers])["lease"].flatMap { ($0 as? [String: Any])?["state"] as? String } == "active")
    }

    /// A lease in another scope is refused without its pool, holder or contents, whatever the way in.
    @Test func leasesOutsideTheScopeAreNeitherShownNorTakenOver() throws {
        let f = try Fixture()
        let foreign = try f.lease(in: "c2/ns", holder: "ctl-b", vmName: "secret-vm")
        let ended = try f.lease(in: "c2/ns", holder: "ctl-b", vmName: "secret-vm-2")
        _ = try f.client("admin").result("release", ["lease": ended])
        func refusal(_ who: String, _ method: String, _ params: [String: Any]) throws -> String {
            let response = try f.client(who).call(method, params)
            let error = try #require(response["error"] as? [String: Any], "\(who) \(method): \(response)")
            #expect(error["code"] as? Int == 1008)
            #expect((error["data"] as? [String: Any])?["pool"] == nil)
            return String(describing: response)
        }
        var texts: [String] = []
        texts.append(try refusal("ctl-a", "inspect", ["lease": foreign]))
        texts.append(try refusal("ctl-a", "release", ["lease": ended]))
        // An ended id of another scope is not reserved again from this one.
        texts.append(try refusal("ctl-a", "reserve", ["pool": "c1/ns", "lease": ended, "resources": ["limits.cpu": "1"]]))
        // A scoped admin importing annotations that name leases of another scope.
        for id in [foreign, ended] {
            texts.append(try refusal("admin-c1", "importAnnotations", [
                "pool": "c1/ns", "annotations": ["harvesterhci.io/migratingUID-\(id)": #"{"limits.cpu":"1"}"#],
            ]))
        }
        for text in texts {
            #expect(!text.contains("c2/ns") && !text.contains("ctl-b") && !text.contains("secret-vm"), "\(text)")
        }
        #expect((try f.client("admin").result("inspect", ["pool": "c1/ns"])["pool"] as? [String: Any])?["activeLeases"] as? Int == 0)
    }

    /// A denial by an ancestor outside the caller's pools says so without that pool's name or numbers.
    @Test func aDenialByAnAncestorOutsideTheScopeHidesItsHeadroom() throws {
        let f = try Fixture()
        _ = try f.client("admin").result("setPool", ["pool": "c1", "capacity": ["limits.cpu": "2"]])
        let params: [String: Any] = ["pool": "c1/ns", "lease": UUID().uuidString, "resources": ["limits.cpu": "3"], "dryRun": true]
        let scoped = try #require(try f.client("ctl-ns").call("reserve", params)["error"] as? [String: Any])
        #expect(scoped["code"] as? Int == 1002)
        let data = try #require(scoped["data"] as? [String: Any])
        #expect(data["outsideScope"] as? Bool == true)
        #expect(data["pool"] as? String == "c1/ns")
        #expect(data["available"] == nil && data["shortfall"] == nil)
        #expect(!(scoped["message"] as? String ?? "").contains(#""c1""#))
        // Within its scope the numbers are shown.
        let admin = try #require(try f.client("admin").call("reserve", params)["error"] as? [String: Any])
        #expect((admin["data"] as? [String: Any])?["pool"] as? String == "c1")
        #expect((admin["data"] as? [String: Any])?["available"] as? [String: String] == ["limits.cpu": "2"])
    }

    @Test func scopedInspectShowsOnlyItsPoolsAndTotals() throws {
        let f = try Fixture()
        _ = try f.lease(in: "c1/ns", holder: "ctl-a")
        _ = try f.lease(in: "c2/ns", holder: "ctl-b")
        for who in ["ctl-a", "reader-c1"] {
            let all = try allowed(f, who, "inspect", [:])
            #expect((all["pools"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["c1", "c1/ns"], "\(who)")
            #expect((all["totals"] as? [String: Any])?["activeLeases"] as? Int == 1, "\(who)")
            try allowed(f, who, "inspect", ["pool": "c1"])
            try forbidden(f, who, "inspect", ["pool": "c2"])
            try forbidden(f, who, "inspect", ["pool": "c2/ns", "vmName": "vm"])
        }
        let everything = try allowed(f, "reader", "inspect", ["labelSelector": "cluster in (c1,c2)"])
        #expect((everything["totals"] as? [String: Any])?["activeLeases"] as? Int == 2)
    }

    /// Every change, and every refused attempt, leaves one JSON log line naming the principal,
    /// method, pool, lease, outcome code and (for a change) the revision; expiry is quotad's own.
    @Test func changesAreAuditedWithThePrincipal() throws {
        let directory = QuotadProcess.makeDataDirectory()
        let file = try Self.tokensFile(Self.tokens, in: directory)
        let server = try QuotadProcess(dataDirectory: directory, arguments: ["--tokens", file.path, "--log-format", "json"])
        let admin = server.client.with(token: Self.tokens["admin"])
        _ = try admin.result("setPool", ["pool": "c1", "capacity": ["limits.cpu": "4"]])
        let controller = server.client.with(token: Self.tokens["ctl-a"])
        let id = UUID().uuidString.lowercased()
        let reserved = try controller.result("reserve", ["pool": "c1", "lease": id, "resources": ["limits.cpu": "1"], "ttlSeconds": 1])
        let revision = reserved["revision"] as? Int
        _ = try server.client.with(token: Self.tokens["ctl-b"]).call("release", ["lease": id])

        func lines() -> [[String: Any]] {
            server.standardError().split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }
        func line(_ match: ([String: Any]) -> Bool) throws -> [String: Any] {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if let found = lines().first(where: match) { return found }
                usleep(20_000)
            }
            throw HarnessError("no such log line in \(server.standardError())")
        }
        let setPool = try line { $0["method"] as? String == "setPool" }
        #expect(setPool["principal"] as? String == "admin")
        #expect(setPool["pool"] as? String == "c1")
        #expect(setPool["code"] as? Int == 0)
        let reserve = try line { $0["method"] as? String == "reserve" }
        #expect(reserve["principal"] as? String == "ctl-a")
        #expect(reserve["lease"] as? String == id)
        #expect(reserve["revision"] as? Int == revision)
        #expect(reserve["time"] is String)
        let refused = try line { $0["method"] as? String == "release" }
        #expect(refused["principal"] as? String == "ctl-b")
        #expect(refused["code"] as? Int == 1008)
        // The 1 s lease expires by itself; its line is quotad's.
        let expiry = try line { $0["event"] as? String == "expire" }
        #expect(expiry["count"] as? Int == 1)
        #expect(expiry["principal"] as? String == "quotad")
        for token in Self.tokens.values { #expect(!server.standardError().contains(token)) }
    }

    @Test func readerOnlyReads() throws {
        let f = try Fixture()
        let id = try f.lease(in: "c1/ns", holder: "ctl-a")
        try allowed(f, "reader", "inspect", ["lease": id])
        try allowed(f, "reader", "rpc.discover", [:])
        try forbidden(f, "reader", "reserve", ["pool": "c1/ns", "lease": UUID().uuidString, "resources": ["limits.cpu": "1"]])
        try forbidden(f, "reader", "release", ["lease": id])
        try forbidden(f, "reader", "renew", ["lease": id])
        try forbidden(f, "reader", "reconcile", ["holder": "ctl-a", "leases": []])
        try forbidden(f, "reader", "setPool", ["pool": "c1", "capacity": [:]])
        try forbidden(f, "reader", "deletePool", ["pool": "c1/ns"])
        try forbidden(f, "reader", "importAnnotations", ["pool": "c1/ns", "annotations": [:]])
    }

    @Test func aBatchMixingPermittedAndForbiddenCallsAnswersEachOnItsOwn() throws {
        let f = try Fixture()
        let ok = UUID().uuidString.lowercased()
        let batch: [[String: Any]] = [
            ["jsonrpc": "2.0", "id": 1, "method": "reserve", "params": ["pool": "c1/ns", "lease": ok, "resources": ["limits.cpu": "1"]]],
            ["jsonrpc": "2.0", "id": 2, "method": "reserve", "params": ["pool": "c2/ns", "lease": UUID().uuidString, "resources": ["limits.cpu": "1"]]],
            ["jsonrpc": "2.0", "id": 3, "method": "setPool", "params": ["pool": "c1/ns", "capacity": [:]]],
            ["jsonrpc": "2.0", "id": 4, "method": "inspect", "params": ["pool": "c1/ns"]],
        ]
        let response = try f.client("ctl-a").post(JSONSerialization.data(withJSONObject: batch))
        let answers = try #require(response.json as? [[String: Any]])
        let byID = Dictionary(uniqueKeysWithValues: answers.map { ($0["id"] as? Int ?? 0, $0) })
        #expect(byID[1]?["result"] != nil)
        #expect((byID[2]?["error"] as? [String: Any])?["code"] as? Int == 1008)
        #expect((byID[3]?["error"] as? [String: Any])?["code"] as? Int == 1008)
        #expect(((byID[4]?["result"] as? [String: Any])?["pool"] as? [String: Any])?["activeLeases"] as? Int == 1)
        let c2 = try f.client("admin").result("inspect", ["pool": "c2/ns"])
        #expect((c2["pool"] as? [String: Any])?["activeLeases"] as? Int == 0)
    }

    @Test func missingOrUnknownCredentialsGet401AndChangeNothing() throws {
        let f = try Fixture()
        let body = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": 1, "method": "setPool", "params": ["pool": "c9", "capacity": [:]]])
        for token in [nil, "wrong-token", "admin-token-0f3"] as [String?] {
            let response = try f.server.client.with(token: token).post(body)
            #expect(response.status == 401)
            let challenge = response.headers["www-authenticate"] ?? response.headers["WWW-Authenticate"] ?? ""
            #expect(challenge.hasPrefix("Bearer realm=\"quotad\""), "\(response.headers)")
            #expect(challenge.contains("invalid_token") == (token != nil))
            let error = response.object["error"] as? [String: Any]
            #expect(error?["code"] as? Int == -32002)
            #expect(response.object["id"] is NSNull)
        }
        let basic = try f.server.client.send(raw: Data("POST /rpc HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body)
        #expect(basic.status == 401)
        #expect(try f.client("admin").error("inspect", ["pool": "c9"])["code"] as? Int == 1001)
        // Two Authorization headers: refused, whichever comes first.
        for order in [["admin", "ctl-a"], ["ctl-a", "admin"]] {
            let headers = order.map { "Authorization: Bearer \(Self.tokens[$0]!)\r\n" }.joined()
            let twice = try f.server.client.send(raw: Data("POST /rpc HTTP/1.1\r\nHost: x\r\n\(headers)Content-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body)
            #expect(twice.status == 400, "\(order): \(twice.status)")
        }
        // A NUL after a valid token is not cut off silently.
        let nul = try f.server.client.send(raw: Data("POST /rpc HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(Self.tokens["admin"]!)".utf8) + Data([0]) + Data("junk\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body)
        #expect(nul.status == 400)
        #expect(try f.client("admin").error("inspect", ["pool": "c9"])["code"] as? Int == 1001)
        // Each refusal is logged, without the token.
        #expect(f.server.standardError().contains("event=unauthorized"))
        #expect(!f.server.standardError().contains("wrong-token"))
        // Health needs no token.
        #expect(try f.server.client.request("GET", "/healthz").status == 200)
    }

    @Test func sighupReloadsTokensWithoutDroppingConnections() throws {
        let f = try Fixture()
        let connection = try KeepAliveConnection(port: f.server.port)
        func inspect(_ token: String) throws -> Int {
            let body = Data(#"{"jsonrpc":"2.0","id":1,"method":"inspect","params":{}}"#.utf8)
            try connection.write(KeepAliveConnection.postBytes(body, extraHeaders: "Authorization: Bearer \(token)\r\n"))
            return try connection.readResponse().status
        }
        #expect(try inspect(Self.tokens["reader"]!) == 200)
        var rotated = Self.tokens
        rotated["reader"] = "reader-token-rotated"
        _ = try Self.tokensFile(rotated, in: f.server.dataDirectory)
        kill(f.server.process.processIdentifier, SIGHUP)
        try waitForLog(f.server, "SIGHUP: reloaded 8 principal(s)")
        #expect(try inspect(Self.tokens["reader"]!) == 401)
        #expect(try inspect("reader-token-rotated") == 200)

        // A broken file keeps the tokens in force and says why.
        try "principals: [{name: x, role: root, pools: ['*']}]".write(to: f.file, atomically: true, encoding: .utf8)
        kill(f.server.process.processIdentifier, SIGHUP)
        try waitForLog(f.server, "SIGHUP: kept the previous tokens")
        #expect(f.server.standardError().contains("principals[0].role"))
        #expect(try inspect("reader-token-rotated") == 200)
        #expect(f.server.process.isRunning)

        // No token, in any form, ever reaches the log.
        let log = f.server.standardError()
        for token in Array(Self.tokens.values) + ["reader-token-rotated"] {
            #expect(!log.contains(token), "a token is in the log")
            #expect(!log.contains(TokenDigest(of: token).hex), "a token digest is in the log")
        }
    }

    @Test func nonLoopbackWithoutTokensRefusesToStart() throws {
        #expect(throws: HarnessError.self) { try QuotadProcess(listen: "0.0.0.0:0", arguments: ["--store", "memory"]) }
        let refused = try runQuotad(["--listen", "0.0.0.0:0", "--store", "memory"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--tokens"))
        // Explicitly allowed, it starts (and is reached over loopback).
        let insecure = try QuotadProcess(listen: "0.0.0.0:0", arguments: ["--store", "memory", "--insecure-allow-unauthenticated"])
        #expect(try insecure.client.result("inspect")["revision"] as? Int == 0)
    }

    @Test func aTokensFileReadableByOthersDrawsAWarning() throws {
        let directory = QuotadProcess.makeDataDirectory()
        let file = try Self.tokensFile(Self.tokens, in: directory)
        chmod(file.path, 0o644)
        let server = try QuotadProcess(dataDirectory: directory, arguments: ["--tokens", file.path, "--store", "memory"])
        #expect(server.standardError().contains("is readable by its group or others"))
    }

    @Test func aBrokenTokensFileRefusesToStartNamingTheField() throws {
        let directory = QuotadProcess.makeDataDirectory()
        let file = directory.appendingPathComponent("tokens.yaml")
        try "principals: [{name: a, role: admin, pools: ['*'], token: hunter2}]".write(to: file, atomically: true, encoding: .utf8)
        let result = try runQuotad(["--listen", "127.0.0.1:0", "--store", "memory", "--tokens", file.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("principals[0].token"))
        #expect(!result.stderr.contains("hunter2"))
    }

    /// Polls the server's stderr for `text`, for at most 10 s.
    func waitForLog(_ server: QuotadProcess, _ text: String) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if server.standardError().contains(text) { return }
            usleep(20_000)
        }
        throw HarnessError("no log line \(String(reflecting: text)) in: \(server.standardError())")
    }

    /// Runs quotad to completion (for start-up refusals), for at most 30 s.
    func runQuotad(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let result = try ExternalCommand.run([QuotadProcess.binary.path] + arguments, timeout: 30)
        return (result.status, result.standardError)
    }
}
