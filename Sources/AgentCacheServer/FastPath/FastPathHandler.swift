import AgentCacheCore
import HTTPTypes
import NIOCore
import NIOHTTP1

/// A channel handler between NIO's HTTP/1 codec and Hummingbird's pipeline that serves the
/// buffered routes (`RouteTable.buffered`: the cache API) itself: it runs the same
/// `BufferedRoute` steps the router would, on the event loop while each step is at hand (an
/// edge hit with a cached key never leaves it), and as a task when one must wait. Every other
/// request, and any request while the router still owes an answer on this connection (so
/// answers never overtake each other), passes through unchanged.
///
/// Admission is decided from the head: a refused request is answered at once and its body
/// dropped as it arrives, never buffered; `Expect: 100-continue` is answered `100 Continue`
/// only once the request is admitted. An admitted body is buffered up to `maxBodyBytes`.
/// While a step waits, or while the client does not read its answers (the channel is not
/// writable), the socket is not read and what already arrived is held, so answers keep their
/// order and memory stays bounded.
///
/// Not Sendable: NIO confines a handler to its channel's event loop.
final class FastPathHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// What the handler shares across connections.
    struct Configuration: Sendable {
        /// Serve the buffered routes here; false passes every request to the router.
        let serveRoutes: Bool
        let routes: RouteTable
        let metrics: ServerMetrics
        let maxBodyBytes: Int
        let trustForwardedFor: Bool
        let serverName: String
    }

    /// A request this handler serves.
    /// A request this handler serves. A class, confined to the event loop: the state machine
    /// holds it while the body arrives and the steps run, without copying it at each part.
    private final class Exchange {
        let route: BufferedRoute
        let head: RequestHead
        let startedNanos: UInt64
        var caller: Caller?
        var body: ByteBuffer?

        init(route: BufferedRoute, head: RequestHead, startedNanos: UInt64) {
            self.route = route
            self.head = head
            self.startedNanos = startedNanos
        }
    }

    private enum State {
        /// Between requests.
        case idle
        /// Forwarding the current request to the router.
        case passing
        /// Serving the current request (admitting, reading its body, or answering).
        case serving(Exchange)
        /// Answered already (refused, or too large): dropping the rest of its body.
        case discarding
    }

    private let configuration: Configuration
    private var state = State.idle
    /// Requests handed to the router whose answers have not been written yet.
    private var owedByRouter = 0
    /// A step is running as a task; what arrives meanwhile waits in `held` and the socket is
    /// not read.
    private var suspended = false
    /// The channel takes more output: while it does not (a client not reading its answers),
    /// nothing more is handled or read, so answers never pile up in memory.
    private var writable = true
    private var held: [HTTPServerRequestPart] = []
    private var readWhenResumed = false
    /// A part went to the router since the last read-complete was passed on.
    private var passedSinceReadComplete = false
    private var needsFlush = false
    private var date = HTTPDate()

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if suspended || !writable {
            held.append(part)
            return
        }
        handle(part, context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writable = context.channel.isWritable
        if !writable, needsFlush {
            // What is written must leave for the channel to drain.
            needsFlush = false
            context.flush()
        } else if writable, !suspended {
            // Outside the write that may have triggered this, so handling never nests.
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            context.eventLoop.execute {
                let (handler, context) = bound.value
                if handler.writable, !handler.suspended { handler.resume(context: context) }
            }
        }
        context.fireChannelWritabilityChanged()
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch (state, part) {
        case (.idle, .head(let head)):
            guard owedByRouter == 0, configuration.serveRoutes, accepts(head),
                let route = configuration.routes.bufferedRoute(method: head.method.rawValue, uri: head.uri)
            else {
                // The router reads a body it is handed (after its own admission): say so now,
                // unless earlier answers are still owed (the interim answer would overtake them;
                // the client then sends after its own wait) or the body will be refused.
                if expectsContinue(head), owedByRouter == 0, declaredLength(head).map({ $0 <= configuration.maxBodyBytes }) ?? true {
                    writeContinue(context: context)
                }
                return pass(part, context: context)
            }
            begin(route, head, context: context)
        case (.serving(let exchange), .body(var chunk)):
            guard exchange.caller != nil else { return }
            if (exchange.body?.readableBytes ?? 0) + chunk.readableBytes > configuration.maxBodyBytes {
                state = .discarding
                let error = CacheError(.payloadTooLarge, "request body is larger than the \(configuration.maxBodyBytes)-byte limit (--max-body-bytes)")
                return answer(exchange, body: .failure(error), context: context)
            }
            if exchange.body == nil {
                exchange.body = chunk
            } else {
                exchange.body!.writeBuffer(&chunk)
            }
        case (.serving(let exchange), .end):
            let body = exchange.body ?? context.channel.allocator.buffer(capacity: 0)
            answer(exchange, body: .success(body), context: context)
        case (.discarding, .body):
            break
        case (.discarding, .end):
            state = .idle
        default:
            // Not a buffered route, the rest of a request being passed, or a part out of
            // order: the router (and its codec handling) decides.
            pass(part, context: context)
        }
    }

    /// Whether `head` may be served here: nothing in it needs the router's handling (a declared
    /// body over the limit is the router's 413). Connection rules are `ConnectionRules`'.
    private func accepts(_ head: HTTPRequestHead) -> Bool {
        if head.headers.contains(name: "Content-Length") {
            guard let declared = declaredLength(head), declared <= configuration.maxBodyBytes else { return false }
        }
        return true
    }

    /// The declared `Content-Length`, if one parses.
    private func declaredLength(_ head: HTTPRequestHead) -> Int? {
        head.headers.first(name: "Content-Length").flatMap { Int($0) }
    }

    /// `Expect: 100-continue` (RFC 9110 §10.1.1): the client waits for `100 Continue` before it
    /// sends the body.
    private func expectsContinue(_ head: HTTPRequestHead) -> Bool {
        // An HTTP/1.0 client's expectation is ignored (RFC 9110 §10.1.1).
        head.version != .http1_0 && head.headers["Expect"].contains { $0.lowercased() == "100-continue" }
    }

    /// The interim `100 Continue`, sent at once.
    private func writeContinue(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
    }

    /// Reads the head and admits it; a refusal is answered at once.
    private func begin(_ route: BufferedRoute, _ nioHead: HTTPRequestHead, context: ChannelHandlerContext) {
        let started = NIODeadline.now().uptimeNanoseconds
        let head: RequestHead
        do {
            head = try RequestHead(values: { nioHead.headers[$0] }, remote: context.channel.remoteAddress, trustForwardedFor: configuration.trustForwardedFor)
        } catch {
            state = .discarding
            return write(.error(error), route: route, startedNanos: started, context: context)
        }
        state = .serving(Exchange(route: route, head: head, startedNanos: started))
        let expectsContinue = expectsContinue(nioHead)
        let admission = route.admit(head)
        // At hand: no closure is made (an edge hit never allocates one here).
        guard case .now(let result) = admission else {
            return suspend(admission, context: context) { handler, result in
                handler.admitted(result, route: route, startedNanos: started, expectsContinue: expectsContinue, context: context)
            }
        }
        admitted(result, route: route, startedNanos: started, expectsContinue: expectsContinue, context: context)
    }

    /// Admitted: the body is wanted. Refused: the final status at once; the body is dropped as
    /// it arrives (parts held meanwhile included), up to its end, and `ConnectionRules` ends
    /// the connection.
    private func admitted(
        _ result: Result<Caller, CacheError>, route: BufferedRoute, startedNanos: UInt64, expectsContinue: Bool, context: ChannelHandlerContext
    ) {
        switch result {
        case .success(let caller):
            guard case .serving(let exchange) = state else { return }
            exchange.caller = caller
            if expectsContinue { writeContinue(context: context) }
        case .failure(let error):
            state = .discarding
            write(.error(error), route: route, startedNanos: startedNanos, context: context)
        }
    }

    /// Runs the route's handler on the body (or its failure) and writes the answer.
    private func answer(_ exchange: Exchange, body: Result<ByteBuffer, CacheError>, context: ChannelHandlerContext) {
        guard let caller = exchange.caller else { return }
        if case .success = body { state = .idle }
        let steps = exchange.route.answer(caller, body: body, startedNanos: exchange.startedNanos)
        guard case .now(let result) = steps else {
            return suspend(steps, context: context) { handler, result in
                handler.write(Answer.rendering(result), route: exchange.route, startedNanos: exchange.startedNanos, context: context)
            }
        }
        write(Answer.rendering(result), route: exchange.route, startedNanos: exchange.startedNanos, context: context)
    }

    /// Runs `steps` that must wait as a task, holding what arrives until `then` ran on the
    /// event loop, then handling it. (Steps at hand are finished by the caller, without this.)
    private func suspend<Value>(
        _ steps: Eventual<Value>,
        context: ChannelHandlerContext,
        then: @escaping (FastPathHandler, Result<Value, CacheError>) -> Void
    ) {
        suspended = true
        let promise = context.eventLoop.makePromise(of: Result<Value, CacheError>.self)
        promise.completeWithTask { await steps.result }
        let bound = NIOLoopBound((handler: self, context: context, then: then), eventLoop: context.eventLoop)
        promise.futureResult.whenSuccess { result in
            let (handler, context, then) = bound.value
            handler.suspended = false
            then(handler, result)
            handler.resume(context: context)
        }
    }

    /// Handles what arrived during a suspension, flushes, and reads again if asked to.
    private func resume(context: ChannelHandlerContext) {
        passedSinceReadComplete = false
        while !suspended, writable, !held.isEmpty {
            handle(held.removeFirst(), context: context)
        }
        // The router's side delivers what it was handed on read-complete: parts released here
        // came after the read that brought them completed.
        if passedSinceReadComplete { context.fireChannelReadComplete() }
        // One flush for the answer and any answered from what was held.
        needsFlush = false
        context.flush()
        if !suspended, writable, readWhenResumed {
            readWhenResumed = false
            context.read()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if suspended || !writable {
            readWhenResumed = true
        } else {
            context.read()
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { owedByRouter -= 1 }
        context.write(data, promise: promise)
    }

    /// Hands `part` to the router, keeping track of the answers it then owes.
    private func pass(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head:
            owedByRouter += 1
            state = .passing
        case .body:
            state = .passing
        case .end:
            state = .idle
        }
        passedSinceReadComplete = true
        context.fireChannelRead(wrapInboundOut(part))
    }

    /// Writes `answer` and records it as `RequestMetricsMiddleware` records the router's.
    private func write(_ answer: Answer, route: BufferedRoute, startedNanos: UInt64, context: ChannelHandlerContext) {
        let headers = answer.nioHeaders(adding: [
            ("Content-Length", String(answer.body.readableBytes)), ("Date", date.now()), ("Server", configuration.serverName),
        ])
        let status = HTTPResponseStatus(statusCode: answer.status.code)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(answer.body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
        needsFlush = true
        configuration.metrics.recordFastPathAnswer()
        configuration.metrics.recordRequest(
            route: route.path,
            method: route.method.rawValue,
            status: answer.status.code,
            nanoseconds: Int64(NIODeadline.now().uptimeNanoseconds &- startedNanos)
        )
    }
}
