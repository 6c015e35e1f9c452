import NIOCore
import NIOHTTP1

/// Adds `Access-Control-Allow-Origin` (and `Vary: Origin`, `Access-Control-Expose-Headers`)
/// to every answer of an API request (`/api/...`, SPEC §1: CORS is for the API; `/metrics`,
/// the dashboard and health stay unreadable to other origins) whose `Origin` the
/// `CORSPolicy` allows, whichever handler answered it: the one place the CORS response
/// headers are written. Installed only when
/// `--cors-origin` is set. Preflight `OPTIONS` requests are routes (`RouteTable`).
///
/// Not Sendable: NIO confines a handler to its channel's event loop.
final class CORSHeaders: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let policy: CORSPolicy
    /// For each request whose answer has not started, oldest first: whether it is an API
    /// request, and its `Origin`.
    private var origins = CircularBuffer<(api: Bool, origin: String?)>(initialCapacity: 2)

    init(policy: CORSPolicy) {
        self.policy = policy
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            origins.append((head.uri.hasPrefix("/api/"), head.headers.first(name: "Origin")))
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(var head) = unwrapOutboundIn(data), head.status.code >= 200, !origins.isEmpty else {
            return context.write(data, promise: promise)
        }
        let (api, origin) = origins.removeFirst()
        guard api else { return context.write(data, promise: promise) }
        if !policy.allowsAny { head.headers.add(name: "Vary", value: "Origin") }
        if let allowed = policy.allowOrigin(for: origin) {
            head.headers.replaceOrAdd(name: "Access-Control-Allow-Origin", value: allowed)
            head.headers.replaceOrAdd(name: "Access-Control-Expose-Headers", value: CORSPolicy.exposedHeaders)
        }
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }
}
