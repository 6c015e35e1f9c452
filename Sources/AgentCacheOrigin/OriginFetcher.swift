import AgentCacheCore
import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// Fetches origin objects over HTTP(S) with async-http-client: a bounded connection pool per
/// host, connect and read-idle timeouts plus a deadline for the response head, redirects never followed (a redirect
/// could lead to a host the SSRF guard never saw), and SigV4 signing for the configured
/// endpoint when credentials are set and the URL is not already presigned. Failures become
/// `CacheError`s: 404 `NOT_FOUND` (reported as `.notFound`, not thrown), timeouts 504 and
/// everything else 502 `ORIGIN_UNAVAILABLE`, a redirect 400. Runs as a service so the client
/// shuts down with the server.
public final class OriginFetcher: Service, Sendable {
    /// Fetcher settings.
    public struct Configuration: Sendable {
        /// Connect and read (idle) timeout of one fetch, and its deadline for the response head.
        public var timeout: Duration = .seconds(10)
        /// Connections kept per origin host (soft limit of the pool).
        public var maxConnectionsPerHost: Int = 16
        /// The signer for the configured endpoint, when credentials are set.
        public var signer: SigV4Signer?
        /// The endpoint requests are signed for: only URLs with its scheme, host and port are
        /// signed, so a signature never travels to another host or over plain http to an https endpoint.
        public var signedEndpoint: OriginURL?

        /// Defaults: 10 s, 16 connections per host, unsigned.
        public init() {}
    }

    /// An origin answer whose body has not been read yet.
    public struct Response: Sendable {
        /// 200, 206 or 404 (other statuses are thrown).
        public var status: Int
        /// The object's metadata as the origin sent it.
        public var head: ObjectHead
        /// The origin's `Content-Range` on a 206.
        public var contentRange: String?
        /// The unread body.
        public var body: HTTPClientResponse.Body
    }

    /// The configuration this fetcher was made with.
    public let configuration: Configuration
    private let client: HTTPClient
    private let clock: any CacheClock
    private let logger: Logger

    /// Makes a fetcher on NIO's shared event loops.
    public init(configuration: Configuration, clock: any CacheClock = SystemClock(), logger: Logger = Logger(label: "agentcache.origin")) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        let timeout = TimeAmount(configuration.timeout)
        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maxConnectionsPerHost
        )
        // A refused connection fails the fetch at once (502, or a stale copy) instead of being
        // retried with backoff until the timeout: a down origin must not hold requests 10 s.
        pool.retryConnectionEstablishment = false
        let http = HTTPClient.Configuration(
            tlsConfiguration: nil,
            redirectConfiguration: .disallow,
            timeout: .init(connect: timeout, read: timeout),
            connectionPool: pool,
            proxy: nil,
            ignoreUncleanSSLShutdown: false,
            decompression: .disabled
        )
        client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: http)
    }

    /// Waits for shutdown, then closes the client's connections.
    public func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }

    /// Closes the client (idempotent enough for tests that never ran the service).
    public func shutdown() async throws {
        try? await client.shutdown()
    }

    /// Starts a GET of `url`, forwarding `range` (a client's `Range` header)
    /// when given; the deadline covers the exchange up to the response head, after which only
    /// the read (idle) timeout bounds the body. Cost: one pooled HTTP exchange.
    public func fetch(_ url: OriginURL, range: String? = nil) async throws(CacheError) -> Response {
        var request = HTTPClientRequest(url: url.fetchURL)
        request.method = .GET
        // Not part of the SigV4 signed headers, so it can be added whether or not we sign.
        if let range { request.headers.add(name: "Range", value: range) }
        if let signer = configuration.signer, configuration.signedEndpoint?.hasSameOrigin(as: url) == true, !url.isPresigned {
            let signed = signer.signedHeaders(
                method: "GET",
                host: url.authority,
                path: url.path,
                query: url.query,
                amzDate: SigV4Signer.amzDate(epochMillis: clock.nowMillis())
            )
            for header in signed { request.headers.add(name: header.name, value: header.value) }
        }
        let deadline = NIODeadline.now() + TimeAmount(configuration.timeout)
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, deadline: deadline, logger: logger)
        } catch {
            throw Self.map(error, host: url.host)
        }
        let status = Int(response.status.code)
        let head = ObjectHead(
            contentType: response.headers.first(name: "content-type"),
            etag: response.headers.first(name: "etag"),
            lastModified: response.headers.first(name: "last-modified"),
            contentLength: response.headers.first(name: "content-length").flatMap { Int($0) }
        )
        switch status {
        case 200, 206, 404:
            return Response(
                status: status,
                head: head,
                contentRange: status == 206 ? response.headers.first(name: "content-range") : nil,
                body: response.body
            )
        case 300..<400:
            let location = response.headers.first(name: "location") ?? "elsewhere"
            throw .invalidRequest("origin answered a redirect (\(status) to \(location)); redirects are not followed")
        case 500...:
            throw CacheError(.originUnavailable, "origin \(url.host) answered \(status)")
        default:
            throw CacheError(.originUnavailable, "origin \(url.host) refused the request (\(status))")
        }
    }

    /// Reads a whole body of at most `maxBytes`; nil when it is longer (the caller streams it instead).
    public static func collect(_ body: HTTPClientResponse.Body, upTo maxBytes: Int, host: String) async throws(CacheError) -> [UInt8]? {
        var bytes = [UInt8]()
        do {
            for try await chunk in body {
                guard bytes.count + chunk.readableBytes <= maxBytes else { return nil }
                bytes.append(contentsOf: chunk.readableBytesView)
            }
        } catch {
            throw map(error, host: host)
        }
        return bytes
    }

    /// A transport failure as a contract error: timeouts 504, the rest 502.
    static func map(_ error: any Error, host: String) -> CacheError {
        if let error = error as? CacheError { return error }
        if let error = error as? HTTPClientError,
            [.deadlineExceeded, .readTimeout, .connectTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout].contains(error)
        {
            return CacheError(.originUnavailable, "origin \(host) timed out", timedOut: true)
        }
        if error is CancellationError { return CacheError(.originUnavailable, "origin fetch from \(host) was cancelled") }
        return CacheError(.originUnavailable, "origin \(host) is unreachable (\(error))")
    }
}
