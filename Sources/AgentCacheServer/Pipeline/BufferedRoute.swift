import AgentCacheCore
import HTTPTypes
import NIOCore

/// A route whose handler takes the whole body and answers with an `Answer` (the cache
/// routes): the one implementation both entry points run. The event-loop dispatcher runs it
/// without leaving the event loop when every step is at hand (an edge hit with a cached key);
/// the router runs the same steps from its async handler. Either way the order is: admit from
/// the head, read the body (bounded), run the handler, release, render.
final class BufferedRoute: Sendable {
    // A class: the event-loop handler keeps the route of each request in its state.
    /// One call of the handler.
    struct Call: Sendable {
        let body: ByteBuffer
        let caller: Caller
        /// When the request started (`NIODeadline` uptime), for `latency_ms`.
        let startedNanos: UInt64

        /// The request's head.
        var head: RequestHead { caller.head }
    }

    typealias Handler = @Sendable (Call) -> Eventual<Answer>

    let method: HTTPRequest.Method
    /// The path, canonical (`/api/cache/get`).
    let path: String
    let access: RouteAccess
    let handler: Handler
    let gate: Access

    init(method: HTTPRequest.Method, path: String, access: RouteAccess, handler: @escaping Handler, gate: Access) {
        self.method = method
        self.path = path
        self.access = access
        self.handler = handler
        self.gate = gate
    }

    /// Step 1, from the head alone: who the request acts for.
    func admit(_ head: RequestHead) -> Eventual<Caller> {
        gate.admit(access, head)
    }

    /// Step 2, once the body is read (or failed to be: 413): the handler's answer (its waiting
    /// steps under the key's concurrency limit) with the admission's headers added; errors
    /// rendered (SPEC §5).
    func answer(_ caller: Caller, body: Result<ByteBuffer, CacheError>, startedNanos: UInt64) -> Eventual<Answer> {
        let outcome: Eventual<Answer>
        switch body {
        case .success(let body): outcome = gate.perform(caller, handler(Call(body: body, caller: caller, startedNanos: startedNanos)))
        case .failure(let error): outcome = .failure(error)
        }
        return outcome.flatMapResult(with: (gate, caller)) { step, result in .value(Answer.rendering(step.0.finish(step.1, result))) }
    }
}
