import Foundation
import JSON

/// The OpenRPC document (api/openrpc.json, bundled as a resource) that `rpc.discover` returns.
enum OpenRPCDocument {
    /// Reads and parses the bundled document.
    /// - Returns: the document; `{}` with an `error` member if the bundle is missing, so that
    ///   `rpc.discover` says what is wrong rather than quotad failing to start.
    static func load() -> JSONValue {
        guard let url = Bundle.module.url(forResource: "openrpc", withExtension: "json"),
              let data = try? Data(contentsOf: url) else {
            return ["error": "the OpenRPC document is missing from quotad's resource bundle"]
        }
        do {
            return try JSONReader.parse(Array(data))
        } catch {
            return ["error": .string("the bundled OpenRPC document is not valid JSON: \(error)")]
        }
    }
}
