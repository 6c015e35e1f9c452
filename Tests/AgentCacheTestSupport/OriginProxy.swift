import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Synchronization

/// A tiny HTTP server on a loopback port that stands in front of an origin and counts what
/// reaches it: forwards GET/HEAD to a target (optionally after a delay, so concurrent misses
/// overlap), answers every request with a redirect, or just counts and answers 200.
/// Counting here, at a real network hop, is what proves "one origin GET".
public final class OriginProxy: Sendable {
    /// What the proxy does with a request.
    public enum Mode: Sendable {
        /// Forward to `http://host:port` after `delay`.
        case forward(to: String, delay: Duration = .zero)
        /// Answer `302 Location: <location>`.
        case redirect(to: String)
        /// Answer 200 `secret`.
        case answer
    }

    public let mode: Mode
    /// Requests by path, and by "METHOD path".
    private let counts = Mutex<(paths: [String: Int], methods: [String: Int])>(([:], [:]))
    private let boundPort = Mutex<Int>(0)

    /// The port it listens on (0 until started).
    public var port: Int { boundPort.withLock { $0 } }

    init(mode: Mode) { self.mode = mode }

    /// Requests seen so far whose path is `path` (any path when nil), all methods.
    public func requests(to path: String? = nil) -> Int {
        counts.withLock { counts in path.map { counts.paths[$0] ?? 0 } ?? counts.paths.values.reduce(0, +) }
    }

    /// GETs seen for `path`.
    public func gets(_ path: String) -> Int {
        counts.withLock { $0.methods["GET \(path)"] ?? 0 }
    }

    fileprivate func handle(_ request: Request) async throws -> Response {
        let path = request.uri.path
        counts.withLock { counts in
            counts.paths[path, default: 0] += 1
            counts.methods["\(request.method.rawValue) \(path)", default: 0] += 1
        }
        switch mode {
        case .answer:
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "secret")))
        case .redirect(let location):
            return Response(status: .found, headers: [.location: location])
        case .forward(let target, let delay):
            if delay > .zero { try await Task.sleep(for: delay) }
            var forwarded = HTTPClientRequest(url: target + request.uri.description)
            forwarded.method = .init(rawValue: request.method.rawValue)
            for field in request.headers where field.name.canonicalName != "host" && field.name != .contentLength {
                forwarded.headers.add(name: field.name.rawName, value: field.value)
            }
            let response = try await HTTPClient.shared.execute(forwarded, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 256 << 20)
            var headers = HTTPFields()
            for header in response.headers where header.name.lowercased() != "transfer-encoding" && header.name.lowercased() != "connection" {
                if let name = HTTPField.Name(header.name) { headers.append(HTTPField(name: name, value: header.value)) }
            }
            return Response(status: .init(code: Int(response.status.code)), headers: headers, body: ResponseBody(byteBuffer: body))
        }
    }
}

/// Runs `body` with an `OriginProxy` in `mode` listening on 127.0.0.1, then stops it.
public func withOriginProxy<T: Sendable>(_ mode: OriginProxy.Mode, _ body: @Sendable (OriginProxy) async throws -> T) async throws -> T {
    let proxy = OriginProxy(mode: mode)
    let router = Router()
    router.on("**", method: .get) { request, _ in try await proxy.handle(request) }
    router.on("**", method: .head) { request, _ in try await proxy.handle(request) }
    router.on("/", method: .get) { request, _ in try await proxy.handle(request) }
    let (ready, readyContinuation) = AsyncStream.makeStream(of: Int.self)
    let application = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in readyContinuation.yield(channel.localAddress?.port ?? 0) }
    )
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await application.runService(gracefulShutdownSignals: [])
            return nil
        }
        var iterator = ready.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        proxy.setPort(port)
        let result = try await body(proxy)
        group.cancelAll()
        return result
    }
}

extension OriginProxy {
    fileprivate func setPort(_ port: Int) { boundPort.withLock { $0 = port } }
}
