import NIOCore
import NIOHTTP1

/// Adds `Access-Control-Allow-Origin` (and `Vary: Origin`, `Access-Control-Expose-Headers`)
/// to every answer of a request whose `Origin` the `CORSPolicy` allows, whichever handler
/// answered it: the one place the CORS response headers are written. Installed only when
/// `--cors-origin` is set. Preflight `OPTIONS` requests are routes (`RouteTable`).
///
/// Not Sendable: NIO confines a handler to its channel's event loop.
final class CORSHeaders: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let policy: CORSPolicy
    /// The `Origin` of each request whose answer has not started, oldest first.
    private var origins = CircularBuffer<String?>(initialCapacity: 2)

    init(policy: CORSPolicy) {
        self.policy = policy
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            origins.append(head.headers.first(name: "Origin"))
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(var head) = unwrapOutboundIn(data), head.status.code >= 200, !origins.isEmpty else {
            return context.write(data, promise: promise)
        }
        let origin = origins.removeFirst()
        if !policy.allowsAny { head.headers.add(name: "Vary", value: "Origin") }
        if let allowed = policy.allowOrigin(for: origin) {
            head.headers.replaceOrAdd(name: "Access-Control-Allow-Origin", value: allowed)
            head.headers.replaceOrAdd(name: "Access-Control-Expose-Headers", value: CORSPolicy.exposedHeaders)
        }
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }
}
