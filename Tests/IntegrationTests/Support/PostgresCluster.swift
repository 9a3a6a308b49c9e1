import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A throw-away PostgreSQL server for one test: Debian's initdb, pg_ctl and postgres in a fresh
/// temporary directory, listening on a free port of 127.0.0.1 only (and a Unix socket inside that
/// directory), with `trust` authentication for the superuser `postgres`.
///
/// The binaries come from `$QUOTAD_PG_BIN`, else the highest `/usr/lib/postgresql/<version>/bin`
/// (`scripts/install-deps --test` installs Debian's postgresql). PostgreSQL refuses to run as
/// root, so as root the directory belongs to the unprivileged system user `quotad-pg` (created
/// once, when missing) and initdb and pg_ctl run as that user through runuser (or setpriv).
///
/// Every wait is bounded: pg_ctl waits at most ``timeout`` seconds, and each command is killed
/// after a little longer. ``shutdown()`` (also run by deinit) stops the server at once and
/// removes the directory. The methods may be called from several threads; they run one at a time.
final class PostgresCluster: @unchecked Sendable {
    /// The unprivileged user the server runs as when the tests run as root.
    static let systemUser = "quotad-pg"

    /// The folder of initdb, pg_ctl and postgres.
    let binDirectory: URL
    /// The temporary directory: `data/` (the cluster), `log` (the server's log), the Unix socket.
    let directory: URL
    /// The cluster's data directory (PGDATA).
    var dataDirectory: URL { directory.appendingPathComponent("data") }
    /// The server's log (pg_ctl -l): startup, shutdown, crash recovery, errors.
    var logPath: URL { directory.appendingPathComponent("log") }
    /// The port the server listens on, on 127.0.0.1.
    private(set) var port: Int = 0
    /// Seconds pg_ctl waits for a start or stop to complete.
    let timeout: Int
    /// Whether the server fsyncs (its `fsync` setting).
    let fsync: Bool

    private let lock = NSLock()
    private var removed = false
    /// True when the tests run as root and the server runs as ``systemUser``.
    private let asSystemUser: Bool

    /// Makes a new cluster with initdb and starts it.
    /// - Parameters:
    ///   - fsync: false runs the server with `fsync=off`: faster commits, checkpoints and crash
    ///     recovery (which otherwise first fsyncs the whole data directory: seconds on a busy
    ///     disk). A commit is still written to the kernel before it is acknowledged, so nothing
    ///     committed is lost when the server is killed (``kill()``); only a crash of the machine
    ///     would lose it. Keep the default for measurements.
    ///   - timeout: seconds pg_ctl may wait for the server to start or stop.
    /// - Throws: ``HarnessError`` naming the step that failed (its output, and the server's log).
    init(fsync: Bool = true, timeout: Int = 60) throws {
        self.fsync = fsync
        self.timeout = timeout
        binDirectory = try Self.findBinDirectory()
        asSystemUser = geteuid() == 0
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("quotad-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            // PostgreSQL wants its directories private to the user it runs as.
            chmod(directory.path, 0o700)
            if asSystemUser {
                try Self.ensureSystemUser()
                let chown = try ExternalCommand.run(["chown", Self.systemUser, directory.path], timeout: 30)
                guard chown.status == 0 else { throw HarnessError("chown \(Self.systemUser) \(directory.path): \(chown)") }
            }
            try runServerCommand([
                binDirectory.appendingPathComponent("initdb").path, "-D", dataDirectory.path,
                "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C",
            ], step: "initdb")
            try startOnFreePort()
        } catch {
            removeDirectory()
            throw error
        }
    }

    deinit { shutdown() }

    // MARK: Databases and queries

    /// Creates a database and answers its libpq connection URI,
    /// `postgres://postgres@127.0.0.1:PORT/NAME`.
    /// - Parameter name: lower-case letters, digits and `_`, starting with a letter or `_`.
    func createDatabase(_ name: String) throws -> String {
        guard let first = name.first, first == "_" || first.isLowercase,
              name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLowercase || $0.isNumber)) }), name.utf8.count < 64
        else { throw HarnessError("createDatabase: '\(name)' is not a plain lower-case identifier") }
        _ = try query("CREATE DATABASE \(name)", database: "postgres")
        return url(database: name)
    }

    /// The connection URI of a database of this server, as the superuser `postgres` (no password).
    func url(database: String) -> String {
        "postgres://postgres@127.0.0.1:\(port)/\(database)"
    }

    /// Runs SQL through psql over TCP on 127.0.0.1 and answers its output: one line per row,
    /// columns separated by `|`, no header or footer, without the last newline. Stops at the first
    /// error.
    /// - Throws: ``HarnessError`` with psql's message when a statement fails or the server is down.
    @discardableResult
    func query(_ sql: String, database: String = "postgres") throws -> String {
        let output = try ExternalCommand.run(
            [psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database, "-c", sql],
            environment: Self.clientEnvironment, timeout: Double(timeout))
        guard output.status == 0 else { throw HarnessError("psql on \(database): \(sql.prefix(200)): \(output.standardError)") }
        var text = output.text
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    // MARK: Stopping and starting

    /// Stops the server (fast shutdown: sessions are ended, transactions rolled back, then a
    /// checkpoint). Does nothing when it is not running.
    func stop() throws {
        try lock.withLock {
            guard isRunning else { return }
            try pgCtl(["stop", "-m", "fast"], step: "pg_ctl stop")
        }
    }

    /// Starts the stopped (or killed) server again on the same port.
    func start() throws {
        try lock.withLock { try startLocked() }
    }

    /// Restarts the server on the same port (pg_ctl restart -m fast): clients lose their
    /// connections and may reconnect once it answers again.
    func restart() throws {
        try lock.withLock {
            try pgCtl(["restart", "-m", "fast", "-l", logPath.path, "-o", serverOptions], step: "pg_ctl restart")
        }
    }

    /// Crashes the server: SIGKILL to the postmaster and to each of its processes (backends,
    /// checkpointer, WAL writer…), as when its machine dies, then waits until they are gone.
    /// ``start()`` then goes through crash recovery.
    func kill() throws {
        try lock.withLock {
            guard let pid = postmasterPID, Self.isAlive(pid) else { return }
            // Stopped, the postmaster forks no new backend while its children are listed.
            Glibc.kill(pid, SIGSTOP)
            let children = Self.children(of: pid)
            Glibc.kill(pid, SIGKILL)
            for child in children { Glibc.kill(child, SIGKILL) }
            let deadline = Date().addingTimeInterval(Double(timeout))
            while ([pid] + children).contains(where: Self.isAlive) {
                guard Date() < deadline else { throw HarnessError("postmaster \(pid) still runs \(timeout) s after SIGKILL") }
                Thread.sleep(forTimeInterval: 0.01)
            }
            // A killed postmaster that is not reaped yet is a zombie, and the next postgres would
            // take the pid in its stale lock files for a live server; it is known to be dead here.
            for file in [dataDirectory.appendingPathComponent("postmaster.pid"),
                         directory.appendingPathComponent(".s.PGSQL.\(port).lock"),
                         directory.appendingPathComponent(".s.PGSQL.\(port)")] {
                try? FileManager.default.removeItem(at: file)
            }
        }
    }

    /// Stops the server at once (immediate shutdown; a server that does not stop is killed) and
    /// removes the directory. Safe to call more than once; deinit calls it.
    func shutdown() {
        lock.withLock {
            guard !removed else { return }
            if isRunning {
                if (try? pgCtl(["stop", "-m", "immediate"], step: "pg_ctl stop")) == nil, let pid = postmasterPID {
                    for process in [pid] + Self.children(of: pid) { Glibc.kill(process, SIGKILL) }
                }
            }
            removeDirectory()
        }
    }

    /// True when the postmaster of this cluster runs.
    var isRunning: Bool {
        guard let pid = postmasterPID else { return false }
        return Self.isAlive(pid)
    }

    /// The postmaster's process id, from `postmaster.pid`; nil when there is no such file.
    var postmasterPID: pid_t? {
        guard let text = try? String(contentsOf: dataDirectory.appendingPathComponent("postmaster.pid"), encoding: .utf8),
              let line = text.split(separator: "\n").first else { return nil }
        return pid_t(line.trimmingCharacters(in: .whitespaces))
    }

    /// The server's log so far.
    func log() -> String {
        (try? String(contentsOf: logPath, encoding: .utf8)) ?? ""
    }

    // MARK: Internals

    /// postgres' options: TCP on 127.0.0.1 only, the Unix socket in the temporary directory.
    private var serverOptions: String {
        "-h 127.0.0.1 -p \(port) -k '\(directory.path)'" + (fsync ? "" : " -c fsync=off")
    }

    private var psql: String {
        let beside = binDirectory.appendingPathComponent("psql")
        return FileManager.default.isExecutableFile(atPath: beside.path) ? beside.path : "psql"
    }

    /// libpq variables of the test's environment that would change where psql connects, or how.
    private static let clientEnvironment: [String: String?] = [
        "PGHOST": nil, "PGHOSTADDR": nil, "PGPORT": nil, "PGUSER": nil, "PGDATABASE": nil,
        "PGPASSWORD": nil, "PGPASSFILE": nil, "PGSERVICE": nil, "PGSERVICEFILE": nil, "PGOPTIONS": nil,
        "PGSSLMODE": nil, "PGCONNECT_TIMEOUT": "10",
    ]

    /// Picks a free port and starts; when another process takes the port in between (the
    /// server's log says the address is in use), tries another, at most three times.
    private func startOnFreePort() throws {
        var lastError: Error?
        for _ in 0..<3 {
            port = try Self.freeLoopbackPort()
            do {
                try lock.withLock { try startLocked() }
                return
            } catch {
                lastError = error
                guard log().contains("Address already in use") else { throw error }
            }
        }
        throw lastError ?? HarnessError("PostgreSQL did not start")
    }

    private func startLocked() throws {
        guard !isRunning else { return }
        try pgCtl(["start", "-l", logPath.path, "-o", serverOptions], step: "pg_ctl start")
    }

    /// pg_ctl on this cluster, waiting (-w) at most ``timeout`` seconds.
    private func pgCtl(_ arguments: [String], step: String) throws {
        try runServerCommand(
            [binDirectory.appendingPathComponent("pg_ctl").path, "-D", dataDirectory.path, "-w", "-t", String(timeout)] + arguments,
            step: step)
    }

    /// Runs its arguments in a subshell that first closes every descriptor above 2, and waits for
    /// it. Foundation's Process learns that a child ended when a socket the child inherited closes
    /// (and then waits for it on a thread all Processes share): a postmaster started by pg_ctl
    /// would keep that socket open for its whole life, and pg_ctl would seem never to end. The
    /// shell itself keeps the socket, so that the end is seen when the command really ends.
    private static let closeInheritedDescriptors = #"""
        (for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; exec "$@")
        status=$?; exit $status
        """#

    /// Runs initdb or pg_ctl, as ``systemUser`` when the tests run as root, in the temporary
    /// directory (the user may not enter the test's own working directory), without the test
    /// process' descriptors (see ``closeInheritedDescriptors``).
    private func runServerCommand(_ arguments: [String], step: String) throws {
        var command = arguments
        if asSystemUser {
            if Self.hasExecutable("runuser") {
                command = ["runuser", "-u", Self.systemUser, "--"] + arguments
            } else {
                command = ["setpriv", "--reuid=\(Self.systemUser)", "--regid=\(Self.systemUser)", "--init-groups", "--"] + arguments
            }
        }
        let output = try ExternalCommand.run(
            ["bash", "-c", Self.closeInheritedDescriptors, "bash"] + command,
            in: directory, environment: ["LC_ALL": "C", "PGDATA": nil, "PGPORT": nil, "PGHOST": nil],
            timeout: Double(timeout + 30))
        guard output.status == 0 else {
            throw HarnessError("\(step) failed: \(output)\nserver log:\n\(log().suffix(4000))")
        }
    }

    private func removeDirectory() {
        removed = true
        try? FileManager.default.removeItem(at: directory)
    }

    /// `$QUOTAD_PG_BIN`, else the highest `/usr/lib/postgresql/<version>/bin` with initdb,
    /// pg_ctl and postgres.
    static func findBinDirectory() throws -> URL {
        let tools = ["initdb", "pg_ctl", "postgres"]
        func complete(_ folder: URL) -> Bool {
            tools.allSatisfy { FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent($0).path) }
        }
        if let path = ProcessInfo.processInfo.environment["QUOTAD_PG_BIN"], !path.isEmpty {
            let folder = URL(fileURLWithPath: path)
            guard complete(folder) else { throw HarnessError("QUOTAD_PG_BIN=\(path) lacks one of \(tools.joined(separator: ", "))") }
            return folder
        }
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [])
            .compactMap { name in Double(name).map { (name, $0) } }
            .sorted { $0.1 > $1.1 }
        for (name, _) in versions {
            let folder = root.appendingPathComponent(name).appendingPathComponent("bin")
            if complete(folder) { return folder }
        }
        throw HarnessError("no PostgreSQL server under /usr/lib/postgresql/*/bin (run scripts/install-deps --test, or set QUOTAD_PG_BIN)")
    }

    /// Serializes the creation of ``systemUser`` among this process' tests.
    private static let userLock = NSLock()

    /// Creates ``systemUser`` (a system user without home or login shell) unless it exists.
    /// Another process creating it at the same moment is fine: the user exists either way.
    static func ensureSystemUser() throws {
        try userLock.withLock {
            func exists() throws -> Bool { try ExternalCommand.run(["id", "-u", systemUser], timeout: 30).status == 0 }
            if try exists() { return }
            let added = try ExternalCommand.run(
                ["useradd", "--system", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", systemUser],
                timeout: 30)
            guard try exists() else { throw HarnessError("useradd \(systemUser): \(added)") }
        }
    }

    /// A port of 127.0.0.1 that was free a moment ago: bound with port 0, read back, closed.
    static func freeLoopbackPort() throws -> Int {
        let (fd, port) = try loopbackSocket(listening: false)
        close(fd)
        return port
    }

    /// A TCP socket bound to 127.0.0.1 on a port the kernel picks, listening when asked.
    /// - Returns: the descriptor (the caller closes it) and the port.
    static func loopbackSocket(listening: Bool) throws -> (descriptor: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && (!listening || listen(fd, 16) == 0) ? getsockname(fd, pointer, &length) : -1
            }
        }
        guard bound == 0 else {
            close(fd)
            throw HarnessError("bind\(listening ? "/listen" : "") 127.0.0.1:0: errno \(errno)")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    private static func hasExecutable(_ name: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        return (path.split(separator: ":") + ["/usr/sbin", "/sbin"]).contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(name)")
        }
    }

    /// Whether a process exists and is not a zombie (a killed process nobody reaped yet).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != nil && state != "Z" && state != "X"
    }

    /// The processes whose parent is `pid` (a postmaster's backends and auxiliary processes).
    static func children(of pid: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let child = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // After "(comm)": the state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == pid ? child : nil
        }
    }
}
