import NIOCore
import NIOHTTP1

/// A channel handler between NIO's HTTP/1 codec and Hummingbird's pipeline that answers edge
/// hits on the event loop through `HitFastPath`, sparing them the type conversions, the hop
/// into Swift concurrency and the router. Every other request, and any request while the
/// router still owes an answer on this connection (so answers never overtake each other),
/// passes through unchanged.
///
/// Not Sendable: NIO confines a handler to its channel's event loop.
final class HitFastPathHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        /// Between requests.
        case idle
        /// Holding a candidate request until its end arrives.
        case collecting(HTTPRequestHead, ByteBuffer?)
        /// Forwarding the current request to the router.
        case passing
    }

    private let path: HitFastPath
    private let serverName: String
    private var state = State.idle
    /// Requests handed to the router whose answers have not been written yet.
    private var owedByRouter = 0
    /// A remote-tier lookup of this path is running; what arrives meanwhile waits in `held`
    /// and the socket is not read, so answers keep their order and memory stays bounded.
    private var awaitingRemote = false
    private var held: [HTTPServerRequestPart] = []
    private var readWhenDone = false
    private var needsFlush = false
    private var date = HTTPDate()

    init(path: HitFastPath, serverName: String) {
        self.path = path
        self.serverName = serverName
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if awaitingRemote {
            held.append(part)
            return
        }
        handle(part, context: context)
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch (state, part) {
        case (.idle, .head(let head)) where owedByRouter == 0 && path.accepts(head):
            state = .collecting(head, nil)
        case (.collecting(let head, var body), .body(var chunk)):
            if (body?.readableBytes ?? 0) + chunk.readableBytes > path.maxBodyBytes {
                // Over the limit: the router refuses it with 413.
                replay(head, body, context: context)
                pass(part, context: context)
                return
            }
            state = .idle  // drop the held reference so appending does not copy
            if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
            state = .collecting(head, body)
        case (.collecting(let head, let body), .end):
            state = .idle
            let request = body ?? context.channel.allocator.buffer(capacity: 0)
            switch path.answer(head, body: request, remoteAddress: context.channel.remoteAddress, allocator: context.channel.allocator) {
            case .answered(let answer):
                write(answer, context: context)
            case .pending(let lookup):
                awaitRemote(lookup, context: context)
            case .declined:
                replay(head, body, context: context)
                pass(part, context: context)
            }
        default:
            // Not a candidate, the rest of a request being passed, or a part out of order:
            // the router (and its codec handling) decides.
            pass(part, context: context)
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
        if awaitingRemote {
            readWhenDone = true
        } else {
            context.read()
        }
    }

    /// Runs a remote-tier lookup off the event loop and writes its answer back on it, then
    /// handles what arrived meanwhile.
    private func awaitRemote(_ lookup: @escaping @Sendable () async -> HitFastPath.Answer, context: ChannelHandlerContext) {
        awaitingRemote = true
        let promise = context.eventLoop.makePromise(of: HitFastPath.Answer.self)
        promise.completeWithTask { await lookup() }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        promise.futureResult.whenSuccess { answer in
            let (handler, context) = bound.value
            handler.write(answer, context: context)
            handler.awaitingRemote = false
            while !handler.awaitingRemote, !handler.held.isEmpty {
                handler.handle(handler.held.removeFirst(), context: context)
            }
            // One flush for this answer and any answered from what was held.
            handler.needsFlush = false
            context.flush()
            if !handler.awaitingRemote, handler.readWhenDone {
                handler.readWhenDone = false
                context.read()
            }
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
        context.fireChannelRead(wrapInboundOut(part))
    }

    /// Gives a held request's head and body to the router, which then reads the rest.
    private func replay(_ head: HTTPRequestHead, _ body: ByteBuffer?, context: ChannelHandlerContext) {
        owedByRouter += 1
        state = .passing
        context.fireChannelRead(wrapInboundOut(.head(head)))
        if let body { context.fireChannelRead(wrapInboundOut(.body(body))) }
    }

    private func write(_ answer: HitFastPath.Answer, context: ChannelHandlerContext) {
        var headers = answer.headers
        headers.add(name: "Content-Length", value: String(answer.body.readableBytes))
        headers.add(name: "Date", value: date.now())
        headers.add(name: "Server", value: serverName)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: answer.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(answer.body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
        needsFlush = true
    }
}
