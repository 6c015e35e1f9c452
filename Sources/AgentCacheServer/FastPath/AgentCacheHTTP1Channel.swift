import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 child channel with `FastPathHandler` placed right after NIO's
/// HTTP/1 codec, before the conversion to swift-http-types: the buffered routes are served in
/// NIO's own types and skip both conversions and the hop into the router's task. Everything else reaches Hummingbird's
/// usual pipeline (`HTTP1ToHTTPServerCodec`, `HTTPConnectionStateHandler`, the async channel
/// and `handleHTTP`) exactly as `HTTP1Channel` builds it.
struct AgentCacheHTTP1Channel: HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    /// The fast-path handler's settings; nil runs Hummingbird's pipeline alone.
    let fastPath: FastPathHandler.Configuration?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: false,  // NIOAsyncChannel orders answers; the fast path keeps to that order
                withErrorHandling: false,  // Hummingbird answers parse errors in handleHTTP
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: .init()
            )
            if let fastPath { try channel.pipeline.syncOperations.addHandler(FastPathHandler(configuration: fastPath)) }
            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}
