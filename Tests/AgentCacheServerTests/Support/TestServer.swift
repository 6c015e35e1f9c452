import AgentCacheCore
@testable import AgentCacheServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The instant every test server's `ManualClock` starts at: 2023-11-14T22:13:20.000Z.
let testEpochMillis: Int64 = 1_700_000_000_000
/// `testEpochMillis` as the server renders it.
let testEpochISO = "2023-11-14T22:13:20.000Z"

/// Starts a fresh AgentCache application on an ephemeral loopback port, runs `test` against it
/// over real HTTP (HummingbirdTesting `.live`), then shuts it down. Each call gets its own engine,
/// edge tier, metrics registry and clock, so tests never share state.
///
/// - Parameters:
///   - clock: the clock the engine measures lifetimes with; move it to test expiry.
///   - configure: tweaks applied to the default `ServerConfiguration` (port is already 0).
func withTestServer<Value: Sendable>(
    clock: ManualClock = ManualClock(millis: testEpochMillis),
    configure: (inout ServerConfiguration) -> Void = { _ in },
    _ test: @Sendable (APIClient) async throws -> Value
) async throws -> Value {
    var configuration = ServerConfiguration()
    configuration.host = "127.0.0.1"
    configuration.port = 0
    configure(&configuration)
    var logger = Logger(label: "agentcache.tests")
    logger.logLevel = .critical
    let (application, parts) = try AgentCacheServer.buildApplication(configuration: configuration, clock: clock, logger: logger)
    return try await application.test(.live) { client in
        try await test(APIClient(client: client, parts: parts, clock: clock))
    }
}

/// A thin client for the AgentCache API over a HummingbirdTesting client.
struct APIClient: Sendable {
    let client: any TestClientProtocol
    /// The server's engine and metrics, for tests that want to look behind the HTTP answer.
    let parts: AgentCacheServer.Parts
    /// The clock the server runs on.
    let clock: ManualClock

    /// The port the live server listens on.
    var port: Int { client.port ?? 0 }

    /// `POST <path>` with `body` sent as-is, `Content-Type: application/json` and `headers`.
    func post(_ path: String, _ body: String, headers: HTTPFields = [:]) async throws -> Reply {
        try await post(path, bytes: Array(body.utf8), headers: headers)
    }

    /// `POST <path>` with raw `bytes` (for invalid UTF-8 and exact sizes).
    func post(_ path: String, bytes: [UInt8], headers: HTTPFields = [:]) async throws -> Reply {
        var fields = headers
        if fields[.contentType] == nil { fields[.contentType] = "application/json" }
        let response = try await client.execute(
            uri: path,
            method: .post,
            headers: fields,
            body: ByteBuffer(bytes: bytes)
        )
        return Reply(response)
    }

    /// `<method> <path>` without a body.
    func request(_ path: String, method: HTTPRequest.Method = .get, headers: HTTPFields = [:]) async throws -> Reply {
        Reply(try await client.execute(uri: path, method: method, headers: headers))
    }

    // MARK: Cache routes

    func get(_ body: String, headers: HTTPFields = [:]) async throws -> Reply {
        try await post("/api/cache/get", body, headers: headers)
    }

    func set(_ body: String, headers: HTTPFields = [:]) async throws -> Reply {
        try await post("/api/cache/set", body, headers: headers)
    }

    func check(_ body: String, headers: HTTPFields = [:]) async throws -> Reply {
        try await post("/api/cache/check", body, headers: headers)
    }

    func invalidate(_ body: String, headers: HTTPFields = [:]) async throws -> Reply {
        try await post("/api/cache/invalidate", body, headers: headers)
    }

    func explain(_ body: String, headers: HTTPFields = [:]) async throws -> Reply {
        try await post("/api/cache/explain", body, headers: headers)
    }

    // MARK: Operations

    /// The `/metrics` text.
    func metrics() async throws -> PrometheusText {
        let reply = try await request("/metrics")
        #expect(reply.status == .ok)
        return PrometheusText(reply.text)
    }

    /// `agentcache_cache_hits_total{tier="edge"}` right now (0 when not yet exported).
    func edgeHits() async throws -> Double {
        try await metrics().value(of: "agentcache_cache_hits_total", labels: ["tier": "edge"]) ?? 0
    }

    /// `agentcache_cache_misses_total{tier="edge"}` right now (0 when not yet exported).
    func edgeMisses() async throws -> Double {
        try await metrics().value(of: "agentcache_cache_misses_total", labels: ["tier": "edge"]) ?? 0
    }

    /// The edge tier's entry count as `/health` reports it.
    func edgeEntries() async throws -> Int {
        let health = try await request("/health").object()
        let tiers = try #require(health["tiers"] as? [String: Any])
        let edge = try #require(tiers["edge"] as? [String: Any])
        return try #require(edge["entries"] as? Int)
    }
}

/// One HTTP answer: status, headers and the body as bytes and text.
struct Reply: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let bytes: [UInt8]

    init(_ response: TestResponse) {
        status = response.status
        headers = response.headers
        bytes = Array(buffer: response.body)
    }

    /// The body decoded as UTF-8.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The `X-Cache` header.
    var xCache: String? { headers[HTTPField.Name("X-Cache")!] }

    /// The body parsed as a JSON object (fails the test when it is not one).
    func object(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let parsed = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        return try #require(parsed as? [String: Any], "body is not a JSON object: \(text)", sourceLocation: sourceLocation)
    }
}

// MARK: JSON helpers

/// The JSON value of `value` re-serialised with sorted keys, so two parsed values compare equal
/// exactly when they are the same JSON (order of object members aside).
func canonicalJSON(_ value: Any?) throws -> String {
    let data = try JSONSerialization.data(withJSONObject: [value ?? NSNull()], options: [.sortedKeys, .fragmentsAllowed])
    return String(decoding: data, as: UTF8.self)
}

/// Parses a JSON text (any value, not only objects).
func parseJSON(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}

/// `value` as a Bool only when it is a JSON `true`/`false` (not a number 0 or 1).
/// Foundation on Linux hands JSON booleans back as `__NSCFBoolean` and numbers as `NSNumber`,
/// and both cast to `Bool`, so the dynamic type is what tells them apart.
func jsonBool(_ value: Any?) -> Bool? {
    guard let value else { return nil }
    let typeName = String(describing: type(of: value))
    guard typeName == "Bool" || typeName.contains("Boolean") else { return nil }
    return value as? Bool
}

/// Whether `text` is a 32-digit lowercase hex key.
func isHexKey(_ text: Any?) -> Bool {
    guard let text = text as? String else { return false }
    return text.utf8.count == 32 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
}

/// Whether `text` is an ISO-8601 UTC timestamp such as `2023-11-14T22:13:20.000Z`.
func isISO8601(_ text: Any?) -> Bool {
    guard let text = text as? String else { return false }
    return text.wholeMatch(of: #/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})/#) != nil
}

/// `value` as a Double when it is a JSON number.
func number(_ value: Any?) -> Double? {
    if let value = value as? Double { return value }
    if let value = value as? Int { return Double(value) }
    if let value = value as? NSNumber { return value.doubleValue }
    return nil
}

// MARK: Request bodies

/// Builders for request bodies. Bodies are written as text on purpose: the tests decide the
/// exact bytes the server sees (member order, whitespace, number spelling).
enum Body {
    /// A chat request; `extra` is appended as further members (e.g. `"ttl":60`).
    static func chat(
        provider: String = "openai",
        model: String = "gpt-4o",
        content: String = "What is 2+2?",
        _ extra: String = ""
    ) -> String {
        let base = #""provider":"\#(provider)","model":"\#(model)","messages":[{"role":"user","content":"\#(content)"}]"#
        return "{" + base + (extra.isEmpty ? "" : "," + extra) + "}"
    }

    /// A set body for `chat(...)` storing `response` (raw JSON) with `extra` members.
    static func set(
        provider: String = "openai",
        model: String = "gpt-4o",
        content: String = "What is 2+2?",
        response: String,
        _ extra: String = ""
    ) -> String {
        chat(provider: provider, model: model, content: content, #""response":\#(response)"# + (extra.isEmpty ? "" : "," + extra))
    }
}

/// `[X-Cache-Namespace: name]`.
func namespaceHeader(_ name: String) -> HTTPFields {
    [HTTPField.Name("X-Cache-Namespace")!: name]
}

// MARK: Prometheus text

/// A parsed Prometheus text exposition, enough to read single samples; lines are read by the
/// server's own reader (`PrometheusSamples`, behind `/api/metrics/summary`).
struct PrometheusText: Sendable {
    let text: String

    init(_ text: String) { self.text = text }

    /// Sample lines (comments dropped).
    var samples: [Substring] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
    }

    /// The value of `name` whose labels include every pair of `labels`; nil when absent.
    func value(of name: String, labels: [String: String] = [:]) -> Double? {
        for line in samples {
            guard let parsed = Self.parse(line), parsed.name == name else { continue }
            if labels.allSatisfy({ parsed.labels[$0.key] == $0.value }) { return parsed.value }
        }
        return nil
    }

    /// Every sample of `name` as (labels, value).
    func all(_ name: String) -> [(labels: [String: String], value: Double)] {
        samples.compactMap { line in
            guard let parsed = Self.parse(line), parsed.name == name else { return nil }
            return (parsed.labels, parsed.value)
        }
    }

    /// Splits `name{a="b",c="d"} 12` into its parts; nil when the line is not a sample.
    static func parse(_ line: Substring) -> PrometheusSamples.Sample? {
        PrometheusSamples.parse(line.utf8)
    }
}

// MARK: Error shape

/// Expects `reply` to be a SPEC §5 error: `status`, JSON `{"error": <non-empty string>, "code": code}`.
func expectError(
    _ reply: Reply,
    _ status: HTTPResponse.Status,
    _ code: String,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(reply.status == status, "body: \(reply.text)", sourceLocation: sourceLocation)
    #expect(reply.headers[.contentType]?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
    let json = try reply.object(sourceLocation: sourceLocation)
    #expect(json["code"] as? String == code, "body: \(reply.text)", sourceLocation: sourceLocation)
    let message = json["error"] as? String
    #expect(message?.isEmpty == false, "error must be a non-empty string: \(reply.text)", sourceLocation: sourceLocation)
    #expect(Set(json.keys) == ["error", "code"], "unexpected members: \(reply.text)", sourceLocation: sourceLocation)
}

// MARK: Raw HTTP

/// Sends `request` (a complete HTTP/1.1 request, byte for byte) to the server on a fresh TCP
/// connection and reads the answer until the server closes it. For what the test client cannot
/// send, such as a chunked body without `Content-Length`. Send `Connection: close`.
func rawHTTPExchange(port: Int, _ request: [UInt8]) async throws -> (status: Int, headers: String, body: String) {
    let connection = try RawHTTPConnection(port: port)
    try connection.send(request)
    let text = String(decoding: try await connection.receiveUntilClose(), as: UTF8.self)
    guard let headerEnd = text.range(of: "\r\n\r\n") else { throw RawHTTPError.malformed(text) }
    let head = String(text[..<headerEnd.lowerBound])
    let statusLine = head.split(separator: "\r\n").first ?? ""
    let parts = statusLine.split(separator: " ")
    guard parts.count >= 2, let status = Int(parts[1]) else { throw RawHTTPError.malformed(text) }
    return (status, head, String(text[headerEnd.upperBound...]))
}

/// A chunked `POST` of `body` to `path`, in chunks of `chunkSize` bytes, with `Connection: close`.
func chunkedPost(_ path: String, _ body: [UInt8], chunkSize: Int = 500) -> [UInt8] {
    var out = Array("POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".utf8)
    var start = 0
    while start < body.count {
        let end = min(start + chunkSize, body.count)
        out += Array(String(end - start, radix: 16).utf8) + [13, 10] + body[start..<end] + [13, 10]
        start = end
    }
    out += Array("0\r\n\r\n".utf8)
    return out
}
