import AgentCacheCore
import AgentCacheServer
import AgentCacheTestSupport
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Testing

/// `/api/cdn/stream` against a real S3 API (moto) with a private bucket.
@Suite struct OriginRoutesTests {
    static let bucket = "private-media"

    /// Origin settings for an S3 endpoint on loopback. No `--origin-allow-host`: the configured
    /// endpoint is trusted on any address, loopback included.
    static func configure(_ configuration: inout ServerConfiguration, endpoint: String, signed: Bool = true) {
        configuration.origin.endpoint = endpoint
        configuration.origin.bucket = bucket
        configuration.origin.timeoutMilliseconds = 2_000
        if signed {
            configuration.origin.accessKey = S3TestClient.accessKey
            configuration.origin.secretKey = S3TestClient.secretKey
        }
    }

    /// A moto server with the private bucket and `objects` in it.
    static func withOrigin<T: Sendable>(
        _ objects: [String: [UInt8]],
        _ body: (MotoServerProcess, S3TestClient) async throws -> T
    ) async throws -> T {
        try await withMotoServer { moto in
            let s3 = S3TestClient(moto)
            try await s3.createBucket(bucket)
            for (key, bytes) in objects { try await s3.putObject(bucket, key, bytes, contentType: "text/plain") }
            return try await body(moto, s3)
        }
    }

    static func bytes(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } }

    @Test func signedMissThenHitsFromTheEdge() async throws {
        let object = Self.bytes(5_000)
        try await Self.withOrigin(["docs/a.txt": object]) { moto, s3 in
            #expect(try await s3.unsignedStatus(Self.bucket, "docs/a.txt") == 403, "the bucket must refuse unsigned reads")
            try await withTestServer(configure: { Self.configure(&$0, endpoint: moto.endpoint) }) { api in
                let miss = try await api.request("/api/cdn/stream?path=docs/a.txt")
                #expect(miss.status == .ok, "\(miss.text)")
                #expect(miss.xCache == "MISS")
                #expect(miss.bytes == object)
                #expect(miss.headers[.contentType] == "text/plain")
                #expect(miss.headers[.contentLength] == "5000")
                #expect(miss.headers[.acceptRanges] == "bytes")
                #expect(miss.headers[.eTag]?.isEmpty == false)
                #expect(miss.headers[.lastModified]?.isEmpty == false)
                #expect(miss.headers[.age] == "0")
                let hit = try await api.request("/api/cdn/stream?path=docs/a.txt")
                #expect(hit.xCache == "HIT-edge")
                #expect(hit.bytes == object)
                #expect(hit.headers[.eTag] == miss.headers[.eTag])
                api.clock.advance(by: 5_000)
                #expect(try await api.request("/api/cdn/stream?path=docs/a.txt").headers[.age] == "5")
                let metrics = try await api.metrics()
                #expect(metrics.value(of: "agentcache_origin_fetches_total", labels: ["result": "ok"]) == 1)
                #expect(metrics.value(of: "agentcache_origin_bytes_total") == 5_000)
            }
        }
    }

    @Test func twoPresignedURLsForOneObjectShareOneEntry() async throws {
        let object = Self.bytes(700)
        try await Self.withOrigin(["p/b.bin": object]) { moto, s3 in
            try await withTestServer(configure: { Self.configure(&$0, endpoint: moto.endpoint, signed: false) }) { api in
                let first = s3.presignedURL(Self.bucket, "p/b.bin", epochMillis: 1_700_000_000_000)
                let second = s3.presignedURL(Self.bucket, "p/b.bin", epochMillis: 1_700_000_060_000, expires: 600)
                #expect(first != second)
                let miss = try await api.request("/api/cdn/stream?url=\(Self.queryEncoded(first))")
                #expect(miss.status == .ok, "\(miss.text)")
                #expect(miss.xCache == "MISS")
                #expect(miss.bytes == object)
                let hit = try await api.request("/api/cdn/stream?url=\(Self.queryEncoded(second))")
                #expect(hit.xCache == "HIT-edge")
                #expect(hit.bytes == object)
                #expect(try await api.edgeEntries() == 1)
            }
        }
    }

    @Test func fiftyConcurrentFirstRequestsMakeOneOriginGET() async throws {
        let object = Self.bytes(64 << 10)
        try await Self.withOrigin(["hot.bin": object]) { moto, _ in
            try await withOriginProxy(.forward(to: moto.endpoint, delay: .milliseconds(500))) { proxy in
                try await withTestServer(configure: { Self.configure(&$0, endpoint: "http://127.0.0.1:\(proxy.port)") }) { api in
                    // Fifty connections at once: the test client would send one request at a time.
                    var pool = HTTPClient.Configuration.ConnectionPool()
                    pool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
                    let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(connectionPool: pool))
                    let url = "http://127.0.0.1:\(api.port)/api/cdn/stream?path=hot.bin"
                    let replies = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                        for _ in 0..<50 {
                            group.addTask {
                                let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
                                return (Int(response.status.code), Array(buffer: try await response.body.collect(upTo: 1 << 20)))
                            }
                        }
                        return try await group.reduce(into: [(Int, [UInt8])]()) { $0.append($1) }
                    }
                    try await client.shutdown()
                    #expect(replies.count == 50)
                    #expect(replies.allSatisfy { $0.0 == 200 && $0.1 == object })
                    #expect(proxy.gets("/\(Self.bucket)/hot.bin") == 1, "origin GETs counted at the proxy")
                    let metrics = try await api.metrics()
                    // Those that arrived while the fetch ran waited for it; on a loaded machine a few
                    // arrive after it and are plain hits. Either way: one origin GET (above).
                    #expect((metrics.value(of: "agentcache_origin_coalesced_total") ?? 0) >= 1)
                }
            }
        }
    }

    @Test func rangeRequestsGet206WithTheRightBytesAnd416PastTheEnd() async throws {
        let object = Self.bytes(1_000)
        try await Self.withOrigin(["r.bin": object]) { moto, _ in
            try await withTestServer(configure: { Self.configure(&$0, endpoint: moto.endpoint) }) { api in
                for (header, range) in [("bytes=0-9", 0...9), ("bytes=990-", 990...999), ("bytes=-5", 995...999)] {
                    let reply = try await api.request("/api/cdn/stream?path=r.bin", headers: [.range: header])
                    #expect(reply.status == .partialContent, "\(header)")
                    #expect(reply.bytes == Array(object[range]), "\(header)")
                    #expect(reply.headers[.contentRange] == "bytes \(range.lowerBound)-\(range.upperBound)/1000")
                    #expect(reply.headers[.contentLength] == String(range.count))
                }
                let unsatisfiable = try await api.request("/api/cdn/stream?path=r.bin", headers: [.range: "bytes=1000-"])
                try expectError(unsatisfiable, .rangeNotSatisfiable, "RANGE_NOT_SATISFIABLE")
                #expect(unsatisfiable.headers[.contentRange] == "bytes */1000")
            }
        }
    }

    @Test("HEAD ignores Range (RFC 9110 §14.2): 200 with the whole object's length, never 206 or 416 (found by schemathesis)")
    func headIgnoresRange() async throws {
        let object = Array("hello from the origin".utf8)
        try await Self.withOrigin(["hello.txt": object]) { moto, _ in
            try await withTestServer(configure: { Self.configure(&$0, endpoint: moto.endpoint) }) { api in
                // schemathesis's input, headers and all: a range past the end of a 21-byte object.
                let found: HTTPFields = [
                    .range: "bytes=624-6241", .ifNoneMatch: "\"\"", HTTPField.Name("X-Cache-Namespace")!: "S'KHc<UL\tk\"J7$)",
                ]
                for headers in [found, [.range: "bytes=624-6241"], [.range: "bytes=0-4"]] {
                    // Twice: the first answer is the origin's, the second the edge tier's.
                    for _ in 0..<2 {
                        let head = try await api.request("/api/cdn/stream?path=hello.txt", method: .head, headers: headers)
                        #expect(head.status == .ok, "\(headers)")
                        #expect(head.headers[.contentLength] == String(object.count))
                        #expect(head.headers[.contentRange] == nil)
                        #expect(head.headers[.acceptRanges] == "bytes")
                    }
                }
                // GET keeps its ranges.
                let tooFar = try await api.request("/api/cdn/stream?path=hello.txt", headers: [.range: "bytes=624-6241"])
                try expectError(tooFar, .rangeNotSatisfiable, "RANGE_NOT_SATISFIABLE")
                let part = try await api.request("/api/cdn/stream?path=hello.txt", headers: [.range: "bytes=0-4"])
                #expect(part.status == .partialContent && part.bytes == Array("hello".utf8))
            }
        }
    }

    @Test func ifNoneMatchWithTheETagGets304() async throws {
        try await Self.withOrigin(["e.txt": Self.bytes(100)]) { moto, _ in
            try await withTestServer(configure: { Self.configure(&$0, endpoint: moto.endpoint) }) { api in
                let first = try await api.request("/api/cdn/stream?path=e.txt")
                let etag = try #require(first.headers[.eTag])
                let conditional = try await api.request("/api/cdn/stream?path=e.txt", headers: [.ifNoneMatch: etag])
                #expect(conditional.status == .notModified)
                #expect(conditional.bytes.isEmpty)
                let other = try await api.request("/api/cdn/stream?path=e.txt", headers: [.ifNoneMatch: "\"nope\""])
                #expect(other.status == .ok)
            }
        }
    }

    @Test func missingObjectIs404AndTheOriginIsAskedOnce() async throws {
        try await Self.withOrigin([:]) { moto, _ in
            try await withOriginProxy(.forward(to: moto.endpoint)) { proxy in
                try await withTestServer(configure: { Self.configure(&$0, endpoint: "http://127.0.0.1:\(proxy.port)") }) { api in
                    for _ in 0..<3 {
                        try expectError(try await api.request("/api/cdn/stream?path=missing.txt"), .notFound, "NOT_FOUND")
                    }
                    #expect(proxy.gets("/\(Self.bucket)/missing.txt") == 1)
                    api.clock.advance(by: 31_000)
                    try expectError(try await api.request("/api/cdn/stream?path=missing.txt"), .notFound, "NOT_FOUND")
                    #expect(proxy.gets("/\(Self.bucket)/missing.txt") == 2, "the negative entry lasts about 30 s")
                }
            }
        }
    }

    @Test func originStoppedServesAStaleCopyAndFailsAnUncachedObjectQuickly() async throws {
        let object = Self.bytes(2_000)
        try await Self.withOrigin(["s.bin": object, "never-fetched.bin": object]) { moto, _ in
            try await withTestServer(configure: { Self.configure(&$0, endpoint: moto.endpoint) }) { api in
                #expect(try await api.request("/api/cdn/stream?path=s.bin").xCache == "MISS")
                api.clock.advance(by: 3_601_000)  // past --origin-ttl (3600 s), inside --stale-if-error
                await moto.stop()
                let stale = try await api.request("/api/cdn/stream?path=s.bin")
                #expect(stale.status == .ok)
                #expect(stale.xCache == "STALE")
                #expect(stale.headers[HTTPField.Name("Warning")!] == "110 - \"Response is Stale\"")
                #expect(stale.bytes == object)
                let started = ContinuousClock.now
                let uncached = try await api.request("/api/cdn/stream?path=never-fetched.bin")
                // Never a hang; the bound is scripts/faults' (origin-down).
                #expect(ContinuousClock.now - started < .seconds(10))
                #expect([.badGateway, .gatewayTimeout].contains(uncached.status))
                try expectError(uncached, uncached.status, "ORIGIN_UNAVAILABLE")
                let metrics = try await api.metrics()
                #expect(metrics.value(of: "agentcache_origin_stale_served_total") == 1)
                #expect((metrics.value(of: "agentcache_origin_errors_total", labels: ["kind": "unavailable"]) ?? 0) >= 2)
            }
        }
    }

    @Test func objectsOverMaxObjectBytesStreamThroughUncached() async throws {
        let object = Self.bytes(300_000)
        try await Self.withOrigin(["big.bin": object]) { moto, _ in
            try await withTestServer(configure: {
                Self.configure(&$0, endpoint: moto.endpoint)
                $0.origin.tier.maxObjectBytes = 100_000
            }) { api in
                for _ in 0..<2 {
                    let reply = try await api.request("/api/cdn/stream?path=big.bin")
                    #expect(reply.status == .ok)
                    #expect(reply.xCache == "MISS")
                    #expect(reply.bytes == object)
                }
                #expect(try await api.edgeEntries() == 0)
                let metrics = try await api.metrics()
                #expect(metrics.value(of: "agentcache_origin_fetches_total", labels: ["result": "pass_through"]) == 2)
            }
        }
    }

    @Test("a Range request on an object too large to cache is forwarded: 206 with the origin's bytes and Content-Range")
    func rangeOnPassThroughObjects() async throws {
        let object = Self.bytes(300_000)
        try await Self.withOrigin(["video.bin": object]) { moto, _ in
            try await withTestServer(configure: {
                Self.configure(&$0, endpoint: moto.endpoint)
                $0.origin.tier.maxObjectBytes = 100_000
            }) { api in
                let reply = try await api.request("/api/cdn/stream?path=video.bin", headers: [.range: "bytes=1000-1999"])
                #expect(reply.status == .partialContent)
                #expect(reply.headers[.contentRange] == "bytes 1000-1999/300000")
                #expect(reply.bytes == Array(object[1000...1999]))
                let tail = try await api.request("/api/cdn/stream?path=video.bin", headers: [.range: "bytes=-500"])
                #expect(tail.status == .partialContent)
                #expect(tail.bytes == Array(object.suffix(500)))
                #expect(try await api.edgeEntries() == 0)
            }
        }
    }

    @Test("--origin-endpoint http://127.0.0.1:<moto> with a bucket and credentials, no --origin-allow-host: ?path= is fetched")
    func anEndpointOnLoopbackNeedsNoAllowHost() async throws {
        let object = Self.bytes(1_234)
        try await Self.withOrigin(["k.txt": object]) { moto, _ in
            try await withTestServer(configure: {
                Self.configure(&$0, endpoint: moto.endpoint)
                #expect($0.origin.allowHosts.isEmpty)
            }) { api in
                let reply = try await api.request("/api/cdn/stream?path=k.txt")
                #expect(reply.status == .ok, "\(reply.text)")
                #expect(reply.xCache == "MISS")
                #expect(reply.bytes == object)
            }
        }
    }

    @Test("--origin-allow-host 127.0.0.1: ?url=http://127.0.0.1:6379/ and any other port are 400 and connect to nothing")
    func anAllowListedHostIsFetchedOnItsPortOnly() async throws {
        let object = Self.bytes(300)
        let service = try ConnectionRecorder()
        try await Self.withOrigin(["a.bin": object]) { moto, s3 in
            try await withTestServer(configure: {
                $0.origin.allowHosts = ["127.0.0.1", "127.0.0.1:\(moto.port)"]
                $0.origin.timeoutMilliseconds = 2_000
            }) { api in
                for url in ["http://127.0.0.1:6379/", "http://127.0.0.1:\(service.port)/", "http://localhost:\(service.port)/"] {
                    let reply = try await api.request("/api/cdn/stream?url=\(Self.queryEncoded(url))")
                    try expectError(reply, .badRequest, "INVALID_REQUEST")
                }
                #expect(service.connections() == 0, "a local service on a port no entry names is never connected to")
                let presigned = s3.presignedURL(Self.bucket, "a.bin", epochMillis: testEpochMillis)
                let fetched = try await api.request("/api/cdn/stream?url=\(Self.queryEncoded(presigned))")
                #expect(fetched.status == .ok, "the entry with moto's port allows it: \(fetched.text)")
                #expect(fetched.bytes == object)
            }
        }
    }

    @Test func theEndpointIsTrustedButOtherLoopbackTargetsAreRefused() async throws {
        let service = try ConnectionRecorder()
        try await withOriginProxy(.answer) { target in
            try await withTestServer(configure: {
                $0.origin.endpoint = "http://127.0.0.1:\(target.port)"
                $0.origin.bucket = Self.bucket
            }) { api in
                let byPath = try await api.request("/api/cdn/stream?path=x")
                #expect(byPath.status == .ok, "\(byPath.text)")
                #expect(byPath.text == "secret")
                let byURL = try await api.request("/api/cdn/stream?url=\(Self.queryEncoded("http://127.0.0.1:\(target.port)/\(Self.bucket)/y"))")
                #expect(byURL.status == .ok, "a ?url= on the endpoint's scheme, host and port is the endpoint: \(byURL.text)")
                #expect(target.requests() == 2)
                for url in [
                    "http://127.0.0.1:\(service.port)/\(Self.bucket)/x",  // the endpoint's host, another port
                    "https://127.0.0.1:\(target.port)/\(Self.bucket)/x",  // another scheme
                    "http://localhost:\(target.port)/\(Self.bucket)/x",  // another spelling of the host
                ] {
                    try expectError(try await api.request("/api/cdn/stream?url=\(Self.queryEncoded(url))"), .badRequest, "INVALID_REQUEST")
                }
                #expect(service.connections() == 0)
                #expect(target.requests() == 2)
            }
        }
    }

    @Test func ssrfTargetsAreRefusedAndReachNothing() async throws {
        try await withOriginProxy(.answer) { secret in
            try await withOriginProxy(.redirect(to: "http://localhost:\(secret.port)/secret")) { redirector in
                try await withTestServer(configure: {
                    $0.origin.endpoint = "http://169.254.169.254"
                    $0.origin.bucket = Self.bucket
                    $0.origin.allowHosts = ["127.0.0.1:\(redirector.port)"]
                    $0.origin.timeoutMilliseconds = 2_000
                }) { api in
                    let targets = [
                        "http://169.254.169.254:8080/latest/meta-data/iam/security-credentials/",  // the endpoint's host, another port
                        "http://localhost:\(secret.port)/secret",  // not allow-listed
                        "http://127.0.0.1:\(secret.port)/secret",  // an allow-listed host, another port
                        "http://127.0.0.1:\(redirector.port)/bucket/key",  // allowed, but redirects to another host
                        "file:///etc/passwd",
                        "gopher://127.0.0.1:\(secret.port)/_GET%20/secret",
                    ]
                    for target in targets {
                        let reply = try await api.request("/api/cdn/stream?url=\(Self.queryEncoded(target))")
                        try expectError(reply, .badRequest, "INVALID_REQUEST")
                    }
                    #expect(redirector.requests() == 1, "the redirecting origin is asked once")
                    #expect(secret.requests() == 0, "the redirect target, and every refused URL, stays unreached")
                }
            }
        }
    }

    @Test func healthReportsTheOriginTier() async throws {
        try await withTestServer { api in
            let tiers = try #require(try await api.request("/health").object()["tiers"] as? [String: Any])
            #expect((tiers["origin"] as? [String: Any])?["status"] as? String == "disabled")
            try expectError(try await api.request("/api/cdn/stream?path=x"), .badRequest, "INVALID_REQUEST")
        }
        try await withTestServer(configure: { Self.configure(&$0, endpoint: "http://127.0.0.1:9") }) { api in
            let tiers = try #require(try await api.request("/health").object()["tiers"] as? [String: Any])
            let origin = try #require(tiers["origin"] as? [String: Any])
            #expect(origin["status"] as? String == "ok")
            #expect(origin["endpoint"] as? String == "127.0.0.1")
        }
    }

    /// `text` percent-encoded for a query value.
    static func queryEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }
}
