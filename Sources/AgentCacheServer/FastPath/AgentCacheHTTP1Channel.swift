import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 child channel with `ConnectionRules` (RFC 9112 connection handling
/// and deadlines) and `FastPathHandler` placed right after NIO's HTTP/1 codec, before the conversion to swift-http-types: the buffered routes are served in
/// NIO's own types and skip both conversions and the hop into the router's task. Everything else reaches Hummingbird's
/// usual pipeline (`HTTP1ToHTTPServerCodec`, `HTTPConnectionStateHandler`, the async channel
/// and `handleHTTP`) exactly as `HTTP1Channel` builds it.
struct AgentCacheHTTP1Channel: HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    /// The fast-path handler's settings (it passes everything on when told not to serve).
    let fastPath: FastPathHandler.Configuration
    /// Deadlines and decoder limits.
    let connection: ConnectionConfiguration
    /// Browser origins allowed to call the API; CORS headers only when enabled.
    let cors: CORSPolicy

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = connection.maxHeaderFieldSize
            limits.maxHeaderListSize = connection.maxHeaderListSize
            limits.maxHeaderFieldCount = connection.maxHeaderFieldCount
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: false,  // NIOAsyncChannel orders answers; the fast path keeps to that order
                withErrorHandling: false,  // Hummingbird answers parse errors in handleHTTP
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: limits
            )
            let rules = ConnectionRules(configuration: connection, serverName: fastPath.serverName)
            try channel.pipeline.syncOperations.addHandler(RequestBytesObserver(rules: rules), position: .first)
            try channel.pipeline.syncOperations.addHandler(rules)
            if cors.isEnabled { try channel.pipeline.syncOperations.addHandler(CORSHeaders(policy: cors)) }
            try channel.pipeline.syncOperations.addHandler(FastPathHandler(configuration: fastPath))
            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            // No idle timeout here: this handler sees only the router's requests; ConnectionRules
            // times every request, and handles the shutdown (quiesce) event.
            try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}
