#if canImport(Glibc)
import Glibc
#endif
import Prometheus

/// The standard `process_*` metrics that are cheap to read on Linux (from `/proc/self`), under the
/// names Prometheus' client libraries use. On other systems they stay 0.
final class ProcessMetrics {
    private var cpuSeconds: Counter?
    private var residentMemory: Gauge?
    private var virtualMemory: Gauge?
    private var openFDs: Gauge?
    private var maxFDs: Gauge?
    private var startTime: Gauge?
    /// CPU seconds already added to the counter.
    private var cpuCounted = 0.0

    func register(in registry: PrometheusCollectorRegistry) {
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(metricName: metric, unitName: unit, helpText: help)
        }
        cpuSeconds = registry.makeCounter(descriptor: name("process_cpu_seconds", "total", "Total user and system CPU time spent in seconds."))
        residentMemory = registry.makeGauge(descriptor: name("process_resident_memory", "bytes", "Resident memory size in bytes."))
        virtualMemory = registry.makeGauge(descriptor: name("process_virtual_memory", "bytes", "Virtual memory size in bytes."))
        openFDs = registry.makeGauge(descriptor: name("process_open_fds", "", "Number of open file descriptors."))
        maxFDs = registry.makeGauge(descriptor: name("process_max_fds", "", "Maximum number of open file descriptors."))
        startTime = registry.makeGauge(descriptor: name("process_start_time", "seconds", "Start time of the process since the Unix epoch in seconds."))
    }

    /// Reads `/proc/self/stat`, `/proc/self/fd`, `/proc/stat` and `RLIMIT_NOFILE`.
    func refresh() {
        #if os(Linux)
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let stat = Self.read("/proc/self/stat"), let close = stat.lastIndex(of: ")") {
            // Fields after "(comm)": state is field 3; utime 14, stime 15, starttime 22, vsize 23, rss 24.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            func field(_ number: Int) -> Double { fields.count > number - 3 ? Double(fields[number - 3]) ?? 0 : 0 }
            let cpu = (field(14) + field(15)) / ticks
            if cpu > cpuCounted {
                cpuSeconds?.increment(by: cpu - cpuCounted)
                cpuCounted = cpu
            }
            virtualMemory?.set(field(23))
            residentMemory?.set(field(24) * pageSize)
            if let boot = Self.bootTime() { startTime?.set(boot + field(22) / ticks) }
        }
        openFDs?.set(Double(Self.countOpenFDs()))
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { maxFDs?.set(Double(limit.rlim_cur)) }
        #endif
    }

    #if os(Linux)
    private static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var bytes: [UInt8] = []
        while bytes.count < 1 << 20 {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `btime` from `/proc/stat`: the boot time in seconds since the epoch.
    private static func bootTime() -> Double? {
        guard let stat = read("/proc/stat") else { return nil }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6))
        }
        return nil
    }

    private static func countOpenFDs() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { $0.first }
            if name != UInt8(ascii: ".") { count += 1 }
        }
        return count - 1  // the directory stream's own descriptor
    }
    #endif
}
