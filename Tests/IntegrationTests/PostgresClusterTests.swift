import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The throw-away PostgreSQL of the tests (Support/PostgresCluster.swift) against a real server:
/// it starts, answers SQL, keeps committed rows over a restart and over a crash, listens on
/// 127.0.0.1 only, runs unprivileged, and leaves nothing behind. Each test makes its own cluster
/// (initdb takes a second or two), one test at a time.
@Suite(.serialized)
struct PostgresClusterTests {
    @Test func createsADatabaseAndKeepsItsRowsOverARestart() throws {
        let cluster = try PostgresCluster()
        let url = try cluster.createDatabase("quotad_test")
        #expect(url == "postgres://postgres@127.0.0.1:\(cluster.port)/quotad_test")
        #expect(try cluster.query("SELECT 1", database: "quotad_test") == "1")

        try cluster.query("CREATE TABLE leases (id text PRIMARY KEY, cpu int NOT NULL)", database: "quotad_test")
        try cluster.query("INSERT INTO leases VALUES ('a', 1), ('b', 2)", database: "quotad_test")
        try cluster.restart()
        #expect(try cluster.query("SELECT 1", database: "quotad_test") == "1")
        #expect(try cluster.query("SELECT id, cpu FROM leases ORDER BY id", database: "quotad_test") == "a|1\nb|2")
        #expect(try cluster.query("SELECT current_database()", database: "quotad_test") == "quotad_test")
        #expect(try cluster.query("SHOW fsync") == "on")

        // A failing statement is an error that carries PostgreSQL's message.
        let error = #expect(throws: HarnessError.self) { try cluster.query("SELECT * FROM missing", database: "quotad_test") }
        #expect(error?.description.contains("does not exist") == true)
    }

    @Test func listensOnLoopbackOnlyAndRunsUnprivileged() throws {
        let cluster = try PostgresCluster(fsync: false)
        #expect(try cluster.query("SHOW listen_addresses") == "127.0.0.1")
        #expect(try cluster.query("SHOW fsync") == "off")
        #expect(try cluster.query("SHOW port") == String(cluster.port))

        // The kernel's own table: the port's listening sockets are all on 127.0.0.1, none on IPv6.
        let listening = Self.listeningAddresses(port: cluster.port, table: "/proc/net/tcp")
        #expect(!listening.isEmpty)
        #expect(listening.allSatisfy { $0 == "0100007F" }, "listening on \(listening)")
        #expect(Self.listeningAddresses(port: cluster.port, table: "/proc/net/tcp6").isEmpty)
        // Another loopback address reaches the same machine but not this server.
        #expect(Self.connect(to: "127.0.0.1", port: cluster.port) == 0)
        #expect(Self.connect(to: "127.0.0.2", port: cluster.port) == ECONNREFUSED)

        // PostgreSQL refuses root: as root, the server runs as the unprivileged user.
        let pid = try #require(cluster.postmasterPID)
        let uid = try #require(Self.realUID(of: pid))
        if geteuid() == 0 {
            #expect(uid != 0)
            #expect(try cluster.query("SELECT 1") == "1")
        } else {
            #expect(uid == geteuid())
        }
    }

    @Test func keepsCommittedRowsOverACrash() throws {
        let cluster = try PostgresCluster()
        _ = try cluster.createDatabase("crash")
        try cluster.query("CREATE TABLE t (n int)", database: "crash")
        try cluster.query("INSERT INTO t SELECT generate_series(1, 100)", database: "crash")
        let killed = try #require(cluster.postmasterPID)

        try cluster.kill()
        #expect(!PostgresCluster.isAlive(killed))
        #expect(!cluster.isRunning)
        #expect(Self.connect(to: "127.0.0.1", port: cluster.port) == ECONNREFUSED)
        #expect(throws: HarnessError.self) { try cluster.query("SELECT 1", database: "crash") }

        try cluster.start()
        #expect(try cluster.query("SELECT count(*), sum(n) FROM t", database: "crash") == "100|5050")
        // The server found it had not been shut down and replayed its WAL.
        #expect(cluster.log().contains("automatic recovery in progress"))
    }

    @Test func stopsStartsAndLeavesNothingBehind() throws {
        let cluster = try PostgresCluster()
        try cluster.stop()
        #expect(!cluster.isRunning)
        #expect(throws: HarnessError.self) { try cluster.query("SELECT 1") }
        try cluster.start()
        #expect(try cluster.query("SELECT 1") == "1")
        let pid = try #require(cluster.postmasterPID)

        cluster.shutdown()
        #expect(!PostgresCluster.isAlive(pid))
        #expect(!FileManager.default.fileExists(atPath: cluster.directory.path))
        #expect(Self.connect(to: "127.0.0.1", port: cluster.port) == ECONNREFUSED)
        cluster.shutdown()
    }

    @Test func refusesANameThatIsNotAPlainIdentifier() throws {
        let cluster = try PostgresCluster()
        for name in ["", "Quotad", "a-b", "x; DROP DATABASE postgres", "1st"] {
            #expect(throws: HarnessError.self) { try cluster.createDatabase(name) }
        }
        #expect(try cluster.query("SELECT count(*) FROM pg_database WHERE datname = 'postgres'") == "1")
    }

    // MARK: Helpers

    /// The local addresses (hex, as the kernel writes them) of sockets listening on `port`.
    static func listeningAddresses(port: Int, table: String) -> [String] {
        guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { return [] }
        let portHex = String(format: "%04X", port)
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 3, fields[3] == "0A" else { return nil }  // 0A: LISTEN
            let local = fields[1].split(separator: ":")
            return local.count == 2 && local[1] == portHex ? String(local[0]) : nil
        }
    }

    /// Connects over TCP to an IPv4 address and closes: 0 when connected, else connect's errno.
    static func connect(to host: String, port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0 ? 0 : errno
    }

    /// The real user id of a process, from /proc.
    static func realUID(of pid: pid_t) -> uid_t? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) else { return nil }
        return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { uid_t($0) }
    }
}
