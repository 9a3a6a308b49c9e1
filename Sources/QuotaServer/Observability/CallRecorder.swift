import JSON
import JSONRPC

/// Collects a ``CallRecord`` for every call of the HTTP request being handled: installed as the
/// dispatcher's interceptor, so it sees each call's params and outcome without any method's help.
///
/// Confined to the event-loop thread like ``QuotaService``; `@unchecked Sendable` only because the
/// dispatcher's interceptor is a `@Sendable` closure that captures it.
final class CallRecorder: @unchecked Sendable {
    private unowned let service: QuotaService
    /// The registered method names; other names are recorded as `unknown`.
    private let knownMethods: Set<String>
    /// Records of the request being handled; ``take()`` empties it.
    private var records: [CallRecord] = []

    /// Installs the recorder as `service`'s dispatcher interceptor.
    init(service: QuotaService) {
        self.service = service
        self.knownMethods = Set(service.methodNames)
        service.dispatcher.interceptor = { [unowned self] call, context, proceed in
            let started = ContinuousClock.now
            let before = self.service.ledger.revision
            let outcome = proceed()
            self.records.append(CallRecord(
                call: call, outcome: outcome, knownMethods: self.knownMethods,
                changed: self.service.ledger.revision != before, started: started,
                principal: context.principal?.name
            ))
            return outcome
        }
    }

    /// The records since the last call, in request order.
    func take() -> [CallRecord] {
        defer { records = [] }
        return records
    }
}
