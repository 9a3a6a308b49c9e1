#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import CLibpq

/// libpq connection parameters as keyword/value pairs, for `PQconnectdbParams` and
/// `PQconnectStartParams` with `expand_dbname` (a URL given as `dbname` is expanded in place, so
/// keywords before it are defaults the URL may override, and keywords after it override the URL).
enum ConnectionParameters {
    /// Calls `body` with the keywords and values as NULL-terminated arrays of C strings, valid only
    /// during the call.
    static func withArrays<R>(
        _ pairs: [(keyword: String, value: String)],
        _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?) -> R
    ) -> R {
        let keywords: [UnsafeMutablePointer<CChar>?] = pairs.map { strdup($0.keyword) }
        let values: [UnsafeMutablePointer<CChar>?] = pairs.map { strdup($0.value) }
        defer { (keywords + values).forEach { free($0) } }
        let keywordPointers: [UnsafePointer<CChar>?] = keywords.map { $0.map { UnsafePointer($0) } } + [nil]
        let valuePointers: [UnsafePointer<CChar>?] = values.map { $0.map { UnsafePointer($0) } } + [nil]
        return keywordPointers.withUnsafeBufferPointer { keywordList in
            valuePointers.withUnsafeBufferPointer { valueList in body(keywordList.baseAddress, valueList.baseAddress) }
        }
    }

    /// For a conninfo naming several hosts (`postgres://u@h1:p1,h2:p2/db`, or `host=h1,h2`), the
    /// `host` and `port` lists rotated to start at each host in turn; empty for a single host, for
    /// `hostaddr`, or for a conninfo libpq cannot parse (it then reports why when connecting).
    ///
    /// libpq tries the hosts in order and moves on when one fails, but its asynchronous API leaves
    /// `connect_timeout` to the application: a host that accepts and never answers would hold
    /// every attempt, and the later hosts would never be tried. Starting each attempt one host
    /// further along keeps libpq's order and fall-through, and costs a silent host one attempt.
    static func hostRotations(of conninfo: String) -> [[(keyword: String, value: String)]] {
        var message: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &message) else {
            if let message { PQfreemem(message) }
            return []
        }
        defer { PQconninfoFree(options) }
        var settings: [String: String] = [:]
        var index = 0
        while let keyword = options[index].keyword {
            if let value = options[index].val { settings[String(cString: keyword)] = String(cString: value) }
            index += 1
        }
        guard settings["hostaddr"]?.isEmpty ?? true, let host = settings["host"] else { return [] }
        let hosts = host.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard hosts.count > 1 else { return [] }
        var ports = settings["port"].map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        if let single = ports, single.count == 1 { ports = Array(repeating: single[0], count: hosts.count) }
        if let ports, ports.count != hosts.count { return [] }
        return hosts.indices.map { start in
            func rotated(_ list: [String]) -> String { (list[start...] + list[..<start]).joined(separator: ",") }
            var pairs: [(keyword: String, value: String)] = [(keyword: "host", value: rotated(hosts))]
            if let ports { pairs.append((keyword: "port", value: rotated(ports))) }
            return pairs
        }
    }
}
