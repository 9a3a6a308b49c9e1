/// A request that libcurl could not complete: no connection, a timeout, a broken answer.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL the request went to.
    public let url: String
    /// libcurl's message, from its error buffer when it filled one, else curl_easy_strerror.
    public let message: String
    /// libcurl's CURLcode (e.g. 7 CURLE_COULDNT_CONNECT, 28 CURLE_OPERATION_TIMEDOUT).
    public let curlCode: Int

    public init(url: String, message: String, curlCode: Int) {
        self.url = url
        self.message = message
        self.curlCode = curlCode
    }

    /// `cannot reach URL: message`.
    public var description: String { "cannot reach \(url): \(message)" }
}
