@testable import AgentCacheServer
import Foundation
import HTTPTypes
import Testing

/// RFC 9112 connection handling and the connection deadlines (SPEC §6), over raw sockets where a
/// client library would hide them. Deadlines are set short; nothing here asserts how long
/// anything took, only what happened (bounds live in `scripts/faults`).
@Suite("Connection rules")
struct ConnectionRulesTests {
    /// Short deadlines, so closing is observed quickly; the lingering close keeps its default
    /// (a client still sending on a loaded machine must not be cut short).
    static func short(_ configuration: inout ServerConfiguration) {
        configuration.connection.idleTimeout = .seconds(1)
        configuration.connection.headerTimeout = .milliseconds(500)
        configuration.connection.bodyTimeout = .milliseconds(500)
    }

    @Test("a connection that sends nothing, or stays idle after an answer, is closed at the idle timeout")
    func idleConnectionsClose() async throws {
        try await withTestServer(configure: Self.short) { api in
            let silent = try RawHTTPConnection(port: api.port)
            #expect(try await silent.receiveUntilClose().isEmpty)

            let served = try RawHTTPConnection(port: api.port)
            try served.send(RawHTTPConnection.request("GET", "/health"))
            #expect(try await served.receive(1).first?.status == 200)
            #expect(try await served.receiveUntilClose().isEmpty)
        }
    }

    @Test("half a head, or half a body, is answered 408 REQUEST_TIMEOUT and the connection closed", arguments: [true, false])
    func slowRequestsTimeOut(fastPath: Bool) async throws {
        // A long idle timeout: only the head and body deadlines may end these connections.
        try await withTestServer(configure: { Self.short(&$0); $0.connection.idleTimeout = .seconds(30); $0.hitFastPath = fastPath }) { api in
            let head = try RawHTTPConnection(port: api.port)
            try head.send("POST /api/cache/get HTTP/1.1\r\nHost: x\r\n")
            let headTimeout = try #require(try await head.receive(1).first)
            #expect(headTimeout.status == 408 && headTimeout.body.contains("REQUEST_TIMEOUT") && headTimeout.body.contains("--header-timeout"))
            #expect(try await head.receiveUntilClose().isEmpty)

            let body = try RawHTTPConnection(port: api.port)
            try body.send("POST /api/cache/get HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            let bodyTimeout = try #require(try await body.receive(1).first)
            #expect(bodyTimeout.status == 408 && bodyTimeout.body.contains("--body-timeout"))
            #expect(try await body.receiveUntilClose().isEmpty)
        }
    }

    @Test("300 connections holding half a head do not keep /health from answering")
    func halfHeadsDoNotBlockHealth() async throws {
        try await withTestServer { api in
            var held: [RawHTTPConnection] = []
            for _ in 0..<300 {
                let connection = try RawHTTPConnection(port: api.port)
                try connection.send("POST /api/cache/get HTTP/1.1\r\nHost: x\r\n")
                held.append(connection)
            }
            let health = try RawHTTPConnection(port: api.port)
            try health.send(RawHTTPConnection.request("GET", "/health"))
            #expect(try await health.receive(1).first?.status == 200)
            #expect(held.count == 300)
        }
    }

    @Test(
        "a 16 MiB set with Connection: close gets its 413 and the connection closes while the client still sends",
        arguments: [true, false]
    )
    func earlyAnswerWithConnectionClose(fastPath: Bool) async throws {
        // Default deadlines: with half-second ones a loaded machine can let the body deadline
        // (408) beat the 413.
        try await withTestServer(configure: { $0.hitFastPath = fastPath }) { api in
            let connection = try RawHTTPConnection(port: api.port)
            let body = [UInt8](repeating: UInt8(ascii: "x"), count: 16 << 20)
            let head = "POST /api/cache/set HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
            // The client sends while it reads: the answer arrives before the upload is done (a
            // loaded machine may even let the lingering close end before it is), and the
            // connection then closes: nothing hangs.
            let upload = Task { try? await connection.sendBlocking(Array(head.utf8) + body) }
            let answer = try #require(try await connection.receive(1).first)
            #expect(answer.status == 413 && answer.body.contains("PAYLOAD_TOO_LARGE"))
            #expect(answer.headers["connection"] == "close")
            _ = await upload.value
            connection.shutdownWrite()
            let rest = (try? await connection.receiveUntilClose()) ?? []
            #expect(rest.isEmpty)
        }
    }

    @Test("a request after one that said Connection: close, in the same write, is not processed")
    func nothingAfterClose() async throws {
        try await withTestServer { api in
            let connection = try RawHTTPConnection(port: api.port)
            try connection.send(
                RawHTTPConnection.request("GET", "/health", headers: ["Connection: close"])
                    + RawHTTPConnection.post("/api/cache/set", Body.set(response: "1"))
            )
            let answers = try await connection.receive(1)
            #expect(answers.first?.status == 200)
            #expect(try await connection.receiveUntilClose().isEmpty)
            #expect(try await api.edgeEntries() == 0)
        }
    }

    @Test("a malformed request pipelined behind a good one is refused after the good one is answered")
    func malformedAfterGood() async throws {
        try await withTestServer { api in
            let connection = try RawHTTPConnection(port: api.port)
            try connection.send(RawHTTPConnection.post("/api/cache/get", Body.chat()) + "NOT HTTP AT ALL\r\n\r\n")
            let answers = try await connection.receive(2)
            #expect(answers.map(\.status) == [200, 400])
            #expect(answers[1].body.contains("INVALID_REQUEST"))
            #expect(try await connection.receiveUntilClose().isEmpty)
        }
    }

    @Test("CONNECT is 501 and an Upgrade request is answered and closed: nothing sent after either is kept")
    func connectAndUpgrade() async throws {
        try await withTestServer { api in
            let connect = try RawHTTPConnection(port: api.port)
            try connect.send("CONNECT x:1 HTTP/1.1\r\nHost: x\r\n\r\n")
            let refused = try await connect.receiveUntilClose()
            #expect(String(decoding: refused, as: UTF8.self).hasPrefix("HTTP/1.1 501"))

            let upgrade = try RawHTTPConnection(port: api.port)
            try upgrade.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
            let answer = try #require(try await upgrade.receive(1).first)
            #expect(answer.status == 200 && answer.headers["connection"] == "close")
            _ = try? await upgrade.receiveUntilClose()
        }
    }

    @Test("a request that waits, pipelined before one the router answers: both answered in order", arguments: [true, false])
    func waitingThenRouted(keyed: Bool) async throws {
        let run: @Sendable (APIClient) async throws -> Void = { api in
            let connection = try RawHTTPConnection(port: api.port)
            // A set waits (a task); /health is the router's.
            let key = keyed ? ["X-API-Key: ac_acme_000000000000000000000000000000000000000000"] : []
            try connection.send(
                RawHTTPConnection.post("/api/cache/set", Body.set(response: "1"), headers: key) + RawHTTPConnection.request("GET", "/health")
            )
            let answers = try await connection.receive(2)
            #expect(answers.map(\.status) == [keyed ? 401 : 200, 200])
        }
        if keyed { try await withAuthServer(run) } else { try await withTestServer(run) }
    }

    @Test("a lingering close ends at its time limit, however the client trickles")
    func lingeringIsBounded() async throws {
        try await withAuthServer(configure: { $0.connection.lingerTimeout = .seconds(5); $0.connection.lingerTime = .milliseconds(500) }) { api in
            let connection = try RawHTTPConnection(port: api.port)
            try connection.send("POST /api/cache/set HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000000\r\n\r\n{")
            #expect(try await connection.receive(1).first?.status == 401)
            let trickle = Task.detached {
                for _ in 0..<50 {
                    guard (try? connection.send("z")) != nil else { return }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            _ = try? await connection.receiveUntilClose()
            trickle.cancel()
        }
    }

    @Test("HTTP/1.0 with a chunked body is closed after its answer, keep-alive or not")
    func http10Chunked() async throws {
        try await withTestServer { api in
            let connection = try RawHTTPConnection(port: api.port)
            let body = Body.chat()
            let chunk = String(body.utf8.count, radix: 16)
            try connection.send("POST /api/cache/get HTTP/1.0\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\(chunk)\r\n\(body)\r\n0\r\n\r\n")
            let answer = try #require(try await connection.receive(1).first)
            #expect(answer.status == 200 && answer.headers["connection"] == "close")
            #expect(try await connection.receiveUntilClose().isEmpty)
        }
    }

    @Test("a body sent in the same write as an early 401 keeps the connection; one still arriving ends it")
    func earlyAnswerWithoutConnectionClose() async throws {
        try await withAuthServer(configure: Self.short) { api in
            let connection = try RawHTTPConnection(port: api.port)
            try connection.send(RawHTTPConnection.post("/api/cache/get", Body.chat()) + RawHTTPConnection.request("GET", "/health"))
            let answers = try await connection.receive(2)
            #expect(answers.map(\.status) == [401, 200])

            let partial = try RawHTTPConnection(port: api.port)
            try partial.send("POST /api/cache/get HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4194303\r\n\r\n{")
            #expect(try await partial.receive(1).first?.status == 401)
            #expect(try await partial.receiveUntilClose().isEmpty)
        }
    }

    @Test("Expect: 100-continue gets 100 Continue once the request is admitted, the final status at once when refused")
    func expectContinue() async throws {
        try await withAuthServer { api in
            let key = try await api.provisionKey()
            let body = Body.set(response: "1")
            for path in ["/api/cache/set", "/api/provision/jettythunder"] {
                let connection = try RawHTTPConnection(port: api.port)
                let credential = path.hasPrefix("/api/cache") ? "X-API-Key: \(key)" : "Authorization: Bearer \(testAdminToken)"
                let sent = path.hasPrefix("/api/cache") ? body : #"{"environment":"staging"}"#
                try connection.send("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(sent.utf8.count)\r\nExpect: 100-continue\r\n\(credential)\r\n\r\n")
                #expect(try await connection.receive(1).first?.status == 100, "\(path)")
                try connection.send(sent)
                let final = try #require(try await connection.receive(1).first)
                #expect([200, 201].contains(final.status), "\(path): \(final.body)")
            }
            let refused = try RawHTTPConnection(port: api.port)
            try refused.send("POST /api/cache/set HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n")
            #expect(try await refused.receive(1).first?.status == 401)
            let tooLarge = try RawHTTPConnection(port: api.port)
            try tooLarge.send("POST /api/cache/set HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\nExpect: 100-continue\r\nX-API-Key: \(key)\r\n\r\n")
            #expect(try await tooLarge.receive(1).first?.status == 413)
        }
    }

    @Test("HTTP/1.0 is closed after its answer; with keep-alive it is acknowledged and kept", arguments: ["/health", "/api/cache/get"])
    func http10(path: String) async throws {
        try await withTestServer { api in
            let method = path == "/health" ? "GET" : "POST"
            let body = method == "POST" ? Body.chat() : ""
            let length = body.isEmpty ? "" : "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            let plain = try RawHTTPConnection(port: api.port)
            try plain.send("\(method) \(path) HTTP/1.0\r\n\(length)\r\n\(body)")
            let answer = try #require(try await plain.receive(1).first)
            #expect(answer.status == 200 && answer.headers["connection"] == "close")
            #expect(try await plain.receiveUntilClose().isEmpty)

            let kept = try RawHTTPConnection(port: api.port)
            let request = "\(method) \(path) HTTP/1.0\r\nConnection: keep-alive\r\n\(length)\r\n\(body)"
            try kept.send(request + request)
            let answers = try await kept.receive(2)
            #expect(answers.map(\.status) == [200, 200])
            #expect(answers.allSatisfy { $0.headers["connection"] == "keep-alive" })
        }
    }

    @Test("every GET route answers HEAD with its headers and no body", arguments: ["/health", "/monitoring/health", "/metrics"])
    func headRequests(path: String) async throws {
        try await withTestServer { api in
            let connection = try RawHTTPConnection(port: api.port)
            try connection.send(RawHTTPConnection.request("HEAD", path) + RawHTTPConnection.request("GET", "/health"))
            let head = try #require(try await connection.receive(1, bodiless: true).first)
            #expect(head.status == 200)
            #expect(Int(head.headers["content-length"] ?? "") ?? 0 > 0)
            // The next answer starts right after the head: no body was sent in between.
            let next = try #require(try await connection.receive(1).first)
            #expect(next.status == 200 && next.body.contains(#""status""#))
        }
    }

    @Test(
        "a transfer coding other than chunked is 501 NOT_IMPLEMENTED, malformed framing 400, and the connection closes",
        arguments: [
            ("Transfer-Encoding: gzip\r\n", 501), ("Transfer-Encoding: xchunked\r\n", 501), ("Transfer-Encoding: gzip, chunked\r\n", 501),
            ("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", 400), ("Content-Length: 5\r\nContent-Length: 6\r\n", 400),
        ]
    )
    func transferCodings(header: String, status: Int) async throws {
        try await withTestServer { api in
            let connection = try RawHTTPConnection(port: api.port)
            try connection.send("POST /api/cache/get HTTP/1.1\r\nHost: x\r\n\(header)\r\n0\r\n\r\n")
            let answer = try #require(try await connection.receive(1).first)
            #expect(answer.status == status, "\(answer.body)")
            #expect(answer.body.contains(status == 501 ? "NOT_IMPLEMENTED" : "INVALID_REQUEST"))
            #expect(try await connection.receiveUntilClose().isEmpty)
            #expect(try await api.request("/health").status == .ok)
        }
    }

    @Test("a head with more than 1 000 fields is refused (Hummingbird's decoder limits)")
    func decoderLimits() async throws {
        try await withTestServer { api in
            let connection = try RawHTTPConnection(port: api.port)
            let fields = (0..<1001).map { "X-Field-\($0): v\r\n" }.joined()
            try connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\(fields)\r\n")
            let answer = try #require(try await connection.receive(1).first)
            #expect(answer.status == 431)
            #expect(answer.body.contains("REQUEST_HEADER_FIELDS_TOO_LARGE"))
        }
    }

    @Test("an HTTP/1.1 request without Host, or any request with two Host lines, is 400 and the connection closes (RFC 9112 §3.2); HTTP/1.0 may omit it")
    func hostHeader() async throws {
        try await withTestServer { api in
            for request in ["GET /health HTTP/1.1\r\n\r\n", "GET /health HTTP/1.1\r\nHost: a\r\nHOST: b\r\n\r\n", "GET /health HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n"] {
                let connection = try RawHTTPConnection(port: api.port)
                try connection.send(request + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                let answer = try #require(try await connection.receive(1).first)
                #expect(answer.status == 400, "\(request)")
                #expect(answer.body.contains("Host"))
                #expect(try await connection.receiveUntilClose().isEmpty, "nothing after the refused request is answered")
            }
            let old = try RawHTTPConnection(port: api.port)
            try old.send("GET /health HTTP/1.0\r\n\r\n")
            #expect(try await old.receive(1).first?.status == 200)
        }
    }

    @Test("a request target over the head limit is 414 URI_TOO_LONG, a header field over it 431, each then closed")
    func oversizedHeads() async throws {
        try await withTestServer { api in
            let longTarget = "/api/cache/get?" + String(repeating: "a", count: 100 * 1024)
            let uri = try RawHTTPConnection(port: api.port)
            try uri.send("GET \(longTarget) HTTP/1.1\r\nHost: x\r\n\r\n")
            let tooLong = try #require(try await uri.receive(1).first)
            #expect(tooLong.status == 414)
            #expect(tooLong.body.contains("URI_TOO_LONG"))
            #expect(try await uri.receiveUntilClose().isEmpty)

            let field = try RawHTTPConnection(port: api.port)
            try field.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 100 * 1024))\r\n\r\n")
            let tooLarge = try #require(try await field.receive(1).first)
            #expect(tooLarge.status == 431)
            #expect(tooLarge.body.contains("REQUEST_HEADER_FIELDS_TOO_LARGE"))
            #expect(try await field.receiveUntilClose().isEmpty)
            #expect(try await api.request("/health").status == .ok)
        }
    }

    @Test("at --max-connections accepting pauses until a connection closes, and reaching the limit is counted")
    func maxConnections() async throws {
        // Hummingbird's live test server drops the delegate (`Configuration.with(address:)`),
        // so the delegate Hummingbird calls is exercised directly; `scripts/faults` runs it live.
        let metrics = ServerMetrics()
        var limit = ConnectionLimit(maximum: 2, metrics: metrics)
        limit.connectionOpened()
        #expect(limit.isAcceptingNewConnections())
        limit.connectionOpened()
        #expect(!limit.isAcceptingNewConnections())
        limit.connectionClosed()
        #expect(limit.isAcceptingNewConnections())
        let text = PrometheusText(String(decoding: metrics.render(), as: UTF8.self))
        #expect(text.value(of: "agentcache_connection_limit_reached_total", labels: [:]) == 1)
        #expect(text.value(of: "agentcache_connections_open", labels: [:]) == 1)
    }

    @Test("shutdown ends while a client holds an unfinished upload (cut at the grace)")
    func shutdownWithUnfinishedUpload() async throws {
        let connection = try await withTestServer(configure: { $0.connection.shutdownGrace = .milliseconds(300) }) { api in
            let connection = try RawHTTPConnection(port: api.port)
            try connection.send("POST /api/cache/set HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            return connection
        }
        // Reaching this line is the test: the server stopped. It closed the connection
        // (an end of file, or a reset for the unread upload).
        let closed = (try? await connection.receiveUntilClose()) ?? []
        #expect(closed.isEmpty)
    }
}
