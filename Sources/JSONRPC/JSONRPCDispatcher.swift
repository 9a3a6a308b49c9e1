import JSON

/// Decodes JSON-RPC 2.0 request bodies, runs the registered handlers, and encodes
/// the responses (https://www.jsonrpc.org/specification).
///
/// Handlers are `@Sendable` and receive the per-call state as `Context` (for example
/// the server's ledger handle), so the dispatcher is a `Sendable` value that can be
/// built once and shared.
///
/// How a body is answered:
/// - A UTF-8 byte order mark (EF BB BF) at the start is skipped.
/// - An empty body, invalid JSON, invalid UTF-8, or nesting deeper than `maxDepth`
///   gets a single -32700 Parse error with id null (sections 5.1 and 7), even
///   inside a batch.
/// - Valid JSON that is neither an object nor an array (`1`, `"x"`, `null`) gets a
///   single -32600 with id null.
/// - An object is one call; an array is a batch (section 6): `[]` gets a single
///   -32600 (not an array); more than `maxBatchSize` elements get a single -32600
///   whose message names the limit; otherwise every element is run in order and the
///   answers are returned as an array in request order, one per element that is
///   not a notification.
/// - Each element is checked by the rules listed on `JSONRPCRequest`; an
///   invalid one (`1`, `{"foo":"boo"}`, a bad id) is answered with -32600 even
///   without an id.
/// - A valid call runs: unknown method -32601; `"params"` that is an array (by
///   position) -32602 with field `params`; repeated names in params -32602 naming
///   the name; otherwise the handler, whose result or `JSONRPCError` is the answer.
/// - Notifications (no `"id"`, section 4.1) run but are never answered, even when
///   the method is unknown or the params are wrong. A body of notifications only
///   returns `nil` (HTTP 204).
///
/// Handlers must validate every parameter, including `Params.rejectUnknown()`,
/// before they change anything; the dispatcher does not call it for them.
public struct JSONRPCDispatcher<Context>: Sendable {
    /// A method implementation: reads its params, acts, and returns the `"result"`
    /// value, or throws the `JSONRPCError` to answer with. Typed throws means no
    /// other error can escape a handler.
    ///
    /// Swift 6 does not infer a typed `throws` for a closure from its context, so
    /// write it out, or pass a function:
    ///
    ///     dispatcher.register("quota.release") { params, server throws(JSONRPCError) in
    ///         let lease = try params.string("lease")
    ///         try params.rejectUnknown()   // validate everything before acting
    ///         return try server.release(lease)
    ///     }
    public typealias Handler = @Sendable (inout Params, Context) throws(JSONRPCError) -> JSONValue

    /// Wraps every call the dispatcher answers, for instrumentation (metrics, logs): it receives
    /// what was asked and a `proceed` closure that runs the call, and returns the outcome (normally
    /// `proceed()`'s, unchanged). Called once per request object in request order, for
    /// notifications too, and once with a nil ``InterceptedCall/method`` for a request the
    /// dispatcher refuses before any handler runs (-32700, -32600).
    public typealias Interceptor = @Sendable (_ call: InterceptedCall, _ context: Context, _ proceed: () -> Result<JSONValue, JSONRPCError>) -> Result<JSONValue, JSONRPCError>

    /// What an ``Interceptor`` is told about one call.
    public struct InterceptedCall: Sendable {
        /// The method name; nil when the body or the request object was refused before dispatch.
        public var method: String?
        /// The raw `"params"` member, as sent; nil when absent.
        public var params: JSONValue?
        /// True for a notification (no `"id"`): its outcome is never sent.
        public var isNotification: Bool
    }

    /// The most elements a batch may have.
    public let maxBatchSize: Int
    /// The deepest nesting of arrays and objects a body may have, envelope included.
    public let maxDepth: Int
    private var handlers: [NameKey: Handler] = [:]
    /// Wraps every call; see ``Interceptor``. Nil by default.
    public var interceptor: Interceptor?

    /// Creates a dispatcher with no methods.
    /// - Parameters:
    ///   - maxBatchSize: The most requests in one batch (section 6 sets no limit).
    ///   - maxDepth: The nesting limit passed to `JSONReader`.
    public init(maxBatchSize: Int = 1000, maxDepth: Int = JSONReader.defaultMaxDepth) {
        self.maxBatchSize = maxBatchSize
        self.maxDepth = maxDepth
    }

    /// Registers a method; registering a name again replaces its handler. Names are
    /// matched code unit by code unit. Names beginning `rpc.` are reserved by
    /// section 4 for extensions such as `rpc.discover`; register them only to
    /// implement those.
    /// - Parameters:
    ///   - method: The method name.
    ///   - handler: Its implementation.
    public mutating func register(_ method: String, _ handler: @escaping Handler) {
        handlers[NameKey(method)] = handler
    }

    /// The registered method names, sorted.
    public var methodNames: [String] {
        handlers.keys.map(\.name).sorted()
    }

    /// Decodes a body, runs every call in order, and encodes the answer.
    /// - Parameters:
    ///   - body: The HTTP request body.
    ///   - context: Passed to every handler.
    /// - Returns: The response body (one Response object or an array of them), or
    ///   `nil` when nothing is to be sent because every call was a notification.
    public func handle(body: [UInt8], context: Context) -> [UInt8]? {
        body.withUnsafeBytes { handle(bytes: $0, context: context) }
    }

    /// Decodes a body held in a buffer; see `handle(body:context:)`.
    /// - Parameters:
    ///   - bytes: The HTTP request body.
    ///   - context: Passed to every handler.
    /// - Returns: The response body, or `nil` when nothing is to be sent.
    public func handle(bytes: UnsafeRawBufferPointer, context: Context) -> [UInt8]? {
        var body = bytes
        if body.count >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF {
            body = UnsafeRawBufferPointer(rebasing: body[3...])
        }
        let answer: Answer
        if body.isEmpty {
            answer = refused(.parseError("the body is empty"), context: context)
        } else {
            do throws(JSONParseError) {
                answer = self.answer(try JSONReader.parse(body, maxDepth: maxDepth), context: context)
            } catch .tooDeep(let limit) {
                // Well-formed text nested past the limit is a request quotad refuses (-32600, as
                // issue #3 asks); text that is not JSON at all stays a parse error (-32700). The
                // reader keeps its own stack, so checking once more without the limit is safe.
                do throws(JSONParseError) {
                    try JSONReader.validate(body)
                    answer = refused(.invalidRequest("JSON nested deeper than \(limit) levels"), context: context)
                } catch {
                    answer = refused(.parseError(error.description), context: context)
                }
            } catch {
                answer = refused(.parseError(error.description), context: context)
            }
        }
        var out: [UInt8] = []
        switch answer {
        case .nothing:
            return nil
        case .single(let response):
            out.reserveCapacity(128)
            response.serialize(into: &out)
        case .batch(let responses):
            out.reserveCapacity(128 * responses.count)
            out.append(UInt8(ascii: "["))
            for (i, response) in responses.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                response.serialize(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        return out
    }

    /// Runs an already-parsed body: one request object or a batch array.
    /// - Parameters:
    ///   - value: The parsed body.
    ///   - context: Passed to every handler.
    /// - Returns: The response value, or `nil` when nothing is to be sent.
    public func handle(_ value: JSONValue, context: Context) -> JSONValue? {
        switch answer(value, context: context) {
        case .nothing: nil
        case .single(let response): response.json
        case .batch(let responses): .array(responses.map(\.json))
        }
    }

    /// What a body gets back.
    private enum Answer {
        /// Only notifications: send nothing.
        case nothing
        /// One Response object.
        case single(JSONRPCResponse)
        /// A non-empty array of Response objects.
        case batch([JSONRPCResponse])
    }

    private func answer(_ value: JSONValue, context: Context) -> Answer {
        switch value.materialized {
        case .array(let elements):
            // Section 6: an empty array is an invalid request, answered with a single
            // response object rather than an array.
            guard !elements.isEmpty else {
                return refused(.invalidRequest("an empty batch array"), context: context)
            }
            guard elements.count <= maxBatchSize else {
                return refused(
                    .invalidRequest("a batch of \(elements.count) requests exceeds the limit of \(maxBatchSize) requests per batch"),
                    context: context
                )
            }
            var responses: [JSONRPCResponse] = []
            for element in elements {
                if let response = respond(to: element, context: context) {
                    responses.append(response)
                }
            }
            // Section 6: no Response objects at all means nothing is returned.
            return responses.isEmpty ? .nothing : .batch(responses)
        case .object:
            return respond(to: value, context: context).map { .single($0) } ?? .nothing
        case .null, .bool, .number, .string, .encodable:
            return refused(.invalidRequest("the body must be a request object or a batch array, got \(describe(value))"), context: context)
        }
    }

    /// A body refused before dispatch: one error response with id null, shown to the interceptor.
    private func refused(_ error: JSONRPCError, context: Context) -> Answer {
        let outcome = intercept(InterceptedCall(method: nil, params: nil, isNotification: false), context: context) { .failure(error) }
        return .single(JSONRPCResponse(id: .null, outcome: outcome))
    }

    /// Runs `proceed` through the interceptor, if there is one.
    private func intercept(_ call: InterceptedCall, context: Context, _ proceed: () -> Result<JSONValue, JSONRPCError>) -> Result<JSONValue, JSONRPCError> {
        guard let interceptor else { return proceed() }
        return interceptor(call, context, proceed)
    }

    /// Checks and runs one request (a single body or one batch element).
    /// - Returns: The answer, or `nil` for a notification.
    public func respond(to element: JSONValue, context: Context) -> JSONRPCResponse? {
        switch JSONRPCRequest.decodeEnvelope(element) {
        case .invalid(let error, let id):
            let call = InterceptedCall(method: nil, params: nil, isNotification: false)
            return JSONRPCResponse(id: id, outcome: intercept(call, context: context) { .failure(error) })
        case .call(let id, let method, let params):
            let call = InterceptedCall(method: method, params: params, isNotification: id == nil)
            let outcome = intercept(call, context: context) { run(method: method, rawParams: params, context: context) }
            guard let id else { return nil }  // section 4.1: never answer a notification
            return JSONRPCResponse(id: id, outcome: outcome)
        }
    }

    /// Runs a decoded request, whether or not it is a notification.
    /// - Parameters:
    ///   - request: The request.
    ///   - context: Passed to the handler.
    /// - Returns: The handler's result or error; -32601 for an unknown method,
    ///   -32602 for repeated parameter names.
    public func call(_ request: JSONRPCRequest, context: Context) -> Result<JSONValue, JSONRPCError> {
        run(method: request.method, rawParams: .object(request.params), context: context)
    }

    private func run(method: String, rawParams: JSONValue?, context: Context) -> Result<JSONValue, JSONRPCError> {
        guard let handler = handlers[NameKey(method)] else {
            return .failure(.methodNotFound(method))
        }
        do throws(JSONRPCError) {
            var params = try Params.byName(rawParams)
            return .success(try handler(&params, context))
        } catch {
            return .failure(error)
        }
    }
}
