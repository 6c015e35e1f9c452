import AgentCacheOrigin
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A real S3 API (moto's standalone server, `python3 -m moto.server`) on a free loopback
/// port, owned by one test. Use `withMotoServer { ... }`, which stops it however the test
/// ends. Buckets are private: moto refuses unsigned reads. Spawning and waiting run on NIO's
/// blocking pool, like `RedisServerProcess`, so the cooperative pool never blocks.
public final class MotoServerProcess: @unchecked Sendable {
    // @unchecked: one test drives an instance from one task at a time; `process` is set once.

    public let port: Int
    private var process: SpawnedProcess?

    /// `http://127.0.0.1:<port>`.
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    private init(port: Int) { self.port = port }

    /// Starts moto on a free port and waits until it answers HTTP. Fails (never skips) when
    /// moto is missing: scripts/test installs it (`pip install 'moto[server]'`).
    public static func start() async throws -> MotoServerProcess {
        var lastError: (any Error)?
        for _ in 0..<3 {
            let server = MotoServerProcess(port: try RedisServerProcess.freeLoopbackPort())
            do {
                try await server.launch()
                return server
            } catch {
                lastError = error
                await server.stop()
            }
        }
        throw lastError ?? RedisServerProcess.Failure(description: "moto did not start")
    }

    private func launch() async throws {
        let process = try await TestProcess.spawn("/usr/bin/env", ["python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)])
        self.process = process
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw RedisServerProcess.Failure(
                    description: "moto exited at start on port \(port): is it installed? run scripts/test (pip install 'moto[server]')"
                )
            }
            var request = HTTPClientRequest(url: "\(endpoint)/")
            request.method = .GET
            if (try? await HTTPClient.shared.execute(request, timeout: .milliseconds(300))) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RedisServerProcess.Failure(description: "moto on port \(port) did not answer within 20 s")
    }

    /// Kills the server and waits until it is gone (its port then refuses). Idempotent.
    public func stop() async {
        guard let process, process.isRunning else { return }
        _ = kill(process.processIdentifier, SIGKILL)
        try? await NIOThreadPool.singleton.runIfActive { process.waitUntilExit() }
    }

    deinit {
        if let process, process.isRunning { _ = kill(process.processIdentifier, SIGKILL) }
    }
}

/// Runs `body` with a fresh moto server and always stops it afterwards.
public func withMotoServer<T>(_ body: (MotoServerProcess) async throws -> T) async throws -> T {
    try await TestProcess.using(try await MotoServerProcess.start(), stop: { await $0.stop() }, body)
}

/// A minimal signed S3 client for test setup (create buckets, put objects), reusing the
/// server's `SigV4Signer`.
public struct S3TestClient: Sendable {
    public static let accessKey = "AKIAIOSFODNN7EXAMPLE"
    public static let secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    public let endpoint: String
    public let authority: String
    public let signer = SigV4Signer(accessKey: accessKey, secretKey: secretKey, region: "us-east-1")

    /// A client for moto at `server`.
    public init(_ server: MotoServerProcess) {
        endpoint = server.endpoint
        authority = "127.0.0.1:\(server.port)"
    }

    /// `PUT /<bucket>`.
    public func createBucket(_ bucket: String) async throws {
        try await send(.PUT, path: "/\(bucket)", body: [], headers: [:])
    }

    /// `PUT /<bucket>/<key>` with `bytes`.
    public func putObject(_ bucket: String, _ key: String, _ bytes: [UInt8], contentType: String = "application/octet-stream") async throws {
        try await send(.PUT, path: "/\(bucket)/\(key)", body: bytes, headers: ["content-type": contentType])
    }

    /// A SigV4 presigned `GET` URL for `bucket/key`, dated `epochMillis`.
    public func presignedURL(_ bucket: String, _ key: String, epochMillis: Int64, expires: Int = 3600) -> String {
        let path = "/\(bucket)/\(key)"
        let query = signer.presignedQuery(
            method: "GET", host: authority, path: path, expiresSeconds: expires, amzDate: SigV4Signer.amzDate(epochMillis: epochMillis)
        )
        return "\(endpoint)\(SigV4Signer.encodePath(path))?" + query.map { "\($0.name)=\(SigV4Signer.uriEncode($0.value, keepSlash: false))" }.joined(separator: "&")
    }

    /// An unsigned `GET` of `bucket/key`: its status (403 for a private bucket).
    public func unsignedStatus(_ bucket: String, _ key: String) async throws -> Int {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "\(endpoint)/\(bucket)/\(key)"), timeout: .seconds(5))
        return Int(response.status.code)
    }

    private func send(_ method: HTTPMethod, path: String, body: [UInt8], headers: [String: String]) async throws {
        var request = HTTPClientRequest(url: endpoint + SigV4Signer.encodePath(path))
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let signed = signer.signedHeaders(
            method: method.rawValue, host: authority, path: path,
            headers: headers.map { (name: $0.key, value: $0.value) },
            payloadHash: SigV4Signer.unsignedPayload,
            amzDate: SigV4Signer.amzDate(epochMillis: Int64(Date().timeIntervalSince1970 * 1000))
        )
        for header in signed { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        guard (200..<300).contains(Int(response.status.code)) else {
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            throw RedisServerProcess.Failure(description: "S3 \(method) \(path) answered \(response.status.code): \(text)")
        }
    }
}
