import Foundation
import QuotaAuth
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// HTTPS through libevent's OpenSSL bufferevents, against the real binary (issue #6). A
/// throw-away CA, server and client certificates are made with the openssl CLI for each run; curl
/// is the client.
@Suite struct TLSTests {
    /// A CA, a server certificate for 127.0.0.1, and a client certificate with CN `ctl-a`.
    struct Certificates {
        let directory: URL
        var ca: String { directory.appendingPathComponent("ca.pem").path }
        var serverCertificate: String { directory.appendingPathComponent("server.pem").path }
        var serverKey: String { directory.appendingPathComponent("server.key").path }
        var clientCertificate: String { directory.appendingPathComponent("client.pem").path }
        var clientKey: String { directory.appendingPathComponent("client.key").path }

        init() throws {
            directory = QuotadProcess.makeDataDirectory()
            let steps: [[String]] = [
                ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=quotad test CA"],
                ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"],
                ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext"],
                ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=ctl-a"],
                ["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.pem", "-days", "2"],
                // A certificate of the same CA whose CN holds a newline: "nobody\nctl-a".
                ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "forged.key", "-out", "forged.csr", "-config", "forged.cnf"],
                ["x509", "-req", "-in", "forged.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "forged.pem", "-days", "2"],
            ]
            // OpenSSL's config files read \n in a value as a newline.
            try "[req]\nprompt = no\ndistinguished_name = dn\n[dn]\nCN = nobody\\nctl-a\n"
                .write(to: directory.appendingPathComponent("forged.cnf"), atomically: true, encoding: .utf8)
            try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(to: directory.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
            for arguments in steps {
                let result = try ExternalCommand.run(["openssl"] + arguments, in: directory)
                guard result.status == 0 else { throw HarnessError("openssl \(arguments): \(result.standardError)") }
            }
        }
    }

    /// curl with a 10 s bound; `-sS` prints errors, `-w` appends the HTTP status.
    static func curl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try ExternalCommand.run(["curl", "-sS", "--max-time", "10", "-w", "\n%{http_code}"] + arguments)
        return (result.status, result.text + result.standardError)
    }

    @Test func httpsServesWithTheCAAndPlainHTTPFailsCleanly() throws {
        let certificates = try Certificates()
        let server = try QuotadProcess(arguments: ["--store", "memory", "--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey])
        let url = "https://127.0.0.1:\(server.port)"
        let health = try Self.curl(["--cacert", certificates.ca, "\(url)/healthz"])
        #expect(health.status == 0, "\(health.output)")
        #expect(health.output.hasPrefix(#"{"status":"ok"}"#))
        #expect(health.output.hasSuffix("200"))

        let call = try Self.curl(["--cacert", certificates.ca, "-H", "Content-Type: application/json", "-d", #"{"jsonrpc":"2.0","id":1,"method":"inspect"}"#, "\(url)/rpc"])
        #expect(call.output.contains(#""revision":0"#), "\(call.output)")

        // Without the CA, the certificate is not trusted.
        #expect(try Self.curl(["\(url)/healthz"]).status != 0)
        // Plain HTTP to the TLS port: the handshake fails, the connection closes, nothing is served.
        #expect(throws: HarnessError.self) { try server.client.request("GET", "/healthz") }
        // TLS 1.1 is refused.
        #expect(try Self.curl(["--cacert", certificates.ca, "--tls-max", "1.1", "\(url)/healthz"]).status != 0)
        // The server is unharmed.
        #expect(try Self.curl(["--cacert", certificates.ca, "\(url)/healthz"]).output.hasSuffix("200"))
        #expect(server.process.isRunning)
    }

    @Test func mutualTLSRejectsClientsWithoutACertificateAndNamesThePrincipalByCN() throws {
        let certificates = try Certificates()
        let directory = certificates.directory
        let tokens = directory.appendingPathComponent("tokens.yaml")
        try """
            principals:
              - {name: ctl-a, role: controller, pools: ["c1"]}
              - {name: admin, role: admin, pools: ["*"], tokenSHA256: \(TokenDigest(of: "admin-secret").hex)}
            """.write(to: tokens, atomically: true, encoding: .utf8)
        chmod(tokens.path, 0o600)
        let server = try QuotadProcess(dataDirectory: directory, arguments: [
            "--store", "memory", "--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey,
            "--tls-client-ca", certificates.ca, "--tokens", tokens.path,
        ])
        let url = "https://127.0.0.1:\(server.port)"
        // No client certificate: the handshake fails.
        let anonymous = try Self.curl(["--cacert", certificates.ca, "\(url)/healthz"])
        #expect(anonymous.status != 0, "\(anonymous.output)")

        let client = ["--cacert", certificates.ca, "--cert", certificates.clientCertificate, "--key", certificates.clientKey]
        let rpc = ["-H", "Content-Type: application/json", "\(url)/rpc"]
        // The certificate's CN is the controller ctl-a: it may reserve in c1, not create pools.
        let setPool = try Self.curl(client + ["-H", "Authorization: Bearer admin-secret", "-d", #"{"jsonrpc":"2.0","id":1,"method":"setPool","params":{"pool":"c1","capacity":{"limits.cpu":"2"}}}"#] + rpc)
        #expect(setPool.output.contains(#""created":true"#), "\(setPool.output)")
        let forbidden = try Self.curl(client + ["-d", #"{"jsonrpc":"2.0","id":1,"method":"setPool","params":{"pool":"c1","capacity":{}}}"#] + rpc)
        #expect(forbidden.output.contains(#""code":1008"#) && forbidden.output.contains(#""principal":"ctl-a""#), "\(forbidden.output)")
        let reserve = try Self.curl(client + ["-d", #"{"jsonrpc":"2.0","id":1,"method":"reserve","params":{"pool":"c1","lease":"6f1c2a3b-8d4e-4f5a-9b6c-7d8e9f0a1b2c","resources":{"limits.cpu":"1"}}}"#] + rpc)
        #expect(reserve.output.contains(#""holder":"ctl-a""#), "\(reserve.output)")
        #expect(!server.standardError().contains("admin-secret"))

        // A CN with a newline cannot smuggle in a second name.
        let forgedKey = certificates.directory.appendingPathComponent("forged.key").path
        let forgedCertificate = certificates.directory.appendingPathComponent("forged.pem").path
        let forged = try Self.curl(["--cacert", certificates.ca, "--cert", forgedCertificate, "--key", forgedKey,
                                    "-d", #"{"jsonrpc":"2.0","id":1,"method":"inspect"}"#] + rpc)
        #expect(forged.output.hasSuffix("401"), "\(forged.output)")

        // quotactl with --cacert, --cert/--key, and the admin's token from QUOTA_TOKEN.
        let tls = ["--server", url, "--cacert", certificates.ca, "--cert", certificates.clientCertificate, "--key", certificates.clientKey]
        let leases = try QuotactlProcess.run(["leases", "c1", "-o", "json"] + tls)
        #expect(leases.status == 0, "\(leases)")
        #expect(leases.stdout.contains("6f1c2a3b-8d4e-4f5a-9b6c-7d8e9f0a1b2c"))
        let asController = try QuotactlProcess.run(["pool", "set", "c2", "--capacity", "limits.cpu=1"] + tls)
        #expect(asController.status == 1)
        #expect(asController.stderr.contains("1008"), "\(asController)")
        let asAdmin = try QuotactlProcess.run(["pool", "set", "c2", "--capacity", "limits.cpu=1"] + tls, environment: ["QUOTA_TOKEN": "admin-secret"])
        #expect(asAdmin.status == 0, "\(asAdmin)")
        // Without the client certificate the handshake fails, and the message names the URL.
        let anonymousCLI = try QuotactlProcess.run(["inspect", "--server", url, "--cacert", certificates.ca])
        #expect(anonymousCLI.status == 1)
        #expect(anonymousCLI.stderr.contains(url))
    }

    /// A client that trickles its TLS handshake a byte at a time is closed about --idle-timeout
    /// after it connected, like a client trickling a plain request head (libevent's read timeout
    /// alone restarts at every byte).
    @Test func aTrickledHandshakeIsClosedAtTheIdleTimeout() throws {
        let certificates = try Certificates()
        let server = try QuotadProcess(arguments: [
            "--store", "memory", "--idle-timeout", "2", "--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey,
        ])
        let connection = try KeepAliveConnection(port: server.port)
        // The first bytes of a TLS record header (handshake, TLS 1.0 record version), one every 0.5 s,
        // for at most 40 bytes: 20 s, ten times the idle timeout.
        let trickle: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01] + Array(repeating: 0x00, count: 34)
        var ended: KeepAliveConnection.Ending = .open
        var sent = 0
        for byte in trickle {
            if connection.writeSome(Data([byte])).error != nil { ended = .reset(0); break }
            sent += 1
            ended = connection.waitForEnd(seconds: 0.5)
            if ended != .open { break }
        }
        #expect(ended != .open, "the server kept a trickled handshake open for \(sent) bytes")
        #expect(sent < trickle.count)
        // The server still serves.
        #expect(try Self.curl(["--cacert", certificates.ca, "https://127.0.0.1:\(server.port)/healthz"]).output.hasSuffix("200"))
    }

    @Test func quotactlSendsItsTokenAndReportsA401() throws {
        let directory = QuotadProcess.makeDataDirectory()
        let tokens = directory.appendingPathComponent("tokens.yaml")
        try "principals: [{name: admin, role: admin, pools: ['*'], tokenSHA256: \(TokenDigest(of: "admin-secret").hex)}]\n"
            .write(to: tokens, atomically: true, encoding: .utf8)
        chmod(tokens.path, 0o600)
        let server = try QuotadProcess(dataDirectory: directory, arguments: ["--store", "memory", "--tokens", tokens.path])
        let denied = try QuotactlProcess.run(["inspect", "--server", server.url, "--token", "wrong"])
        #expect(denied.status == 1)
        #expect(denied.stderr.contains("-32002"), "\(denied)")
        #expect(!denied.stderr.contains("wrong"), "the token is echoed: \(denied.stderr)")
        let allowed = try QuotactlProcess.run(["pool", "set", "c1", "--capacity", "limits.cpu=1", "--server", server.url, "--token", "admin-secret"])
        #expect(allowed.status == 0, "\(allowed)")
        let fromEnvironment = try QuotactlProcess.run(["inspect", "c1", "--server", server.url], environment: ["QUOTA_TOKEN": "admin-secret"])
        #expect(fromEnvironment.status == 0, "\(fromEnvironment)")
    }
}
