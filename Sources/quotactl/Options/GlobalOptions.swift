import ArgumentParser
import Foundation
import QuotaClient

/// The options every command takes: where quotad is, and how to print.
struct GlobalOptions: ParsableArguments {
    /// Used when neither --server nor QUOTA_SERVER is given.
    static let defaultServer = "http://127.0.0.1:8080"

    @Option(help: "quotad's URL; /rpc is added when it has no path. (default: $QUOTA_SERVER, else \(GlobalOptions.defaultServer))")
    var server: String?

    @Option(name: [.short, .customLong("output")], help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    @Option(help: "Bearer token for quotad's --tokens. (default: $QUOTA_TOKEN)")
    var token: String?

    @Option(help: "PEM CA certificates to verify an https quotad with.")
    var cacert: String?

    @Option(help: "PEM client certificate, for a quotad with --tls-client-ca.")
    var cert: String?

    @Option(help: "PEM private key of --cert.")
    var key: String?

    /// The credentials: --token, else $QUOTA_TOKEN; --cacert; --cert and --key.
    var credentials: ClientCredentials {
        let environment = ProcessInfo.processInfo.environment["QUOTA_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return ClientCredentials(bearerToken: token ?? environment, caFile: cacert, clientCertificate: cert, clientKey: key)
    }

    func validate() throws {
        guard (cert == nil) == (key == nil) else { throw ValidationError("--cert and --key go together") }
    }

    /// The JSON-RPC endpoint: --server, else $QUOTA_SERVER, else the default, with `/rpc` added
    /// to a URL that has no path.
    var endpoint: String {
        let environment = ProcessInfo.processInfo.environment["QUOTA_SERVER"].flatMap { $0.isEmpty ? nil : $0 }
        var url = server ?? environment ?? Self.defaultServer
        if !url.contains("://") { url = "http://" + url }
        let afterScheme = url[url.range(of: "://")!.upperBound...]
        if let slash = afterScheme.firstIndex(of: "/") {
            if afterScheme[slash...] == "/" { url += "rpc" }
        } else {
            url += "/rpc"
        }
        return url
    }

    /// A connection to quotad.
    /// - Throws: ``CommandFailure`` when libcurl cannot make a handle.
    func connect() throws(CommandFailure) -> Connection {
        try Connection(url: endpoint, credentials: credentials)
    }
}
