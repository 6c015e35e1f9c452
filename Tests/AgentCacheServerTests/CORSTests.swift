import AgentCacheServer
import Foundation
import HTTPTypes
import Testing

/// CORS (SPEC §1): off by default; `--cors-origin` answers preflights on the API routes and
/// adds `Access-Control-*` to answers, on both entry points.
@Suite("CORS")
struct CORSTests {
    static let page = "https://app.example"

    @Test("off by default: OPTIONS is 404 and no Access-Control header is sent")
    func offByDefault() async throws {
        try await withTestServer { api in
            let connection = try RawHTTPConnection(port: api.port)
            try connection.send("OPTIONS /api/cache/get HTTP/1.1\r\nHost: x\r\nOrigin: \(Self.page)\r\nAccess-Control-Request-Method: POST\r\n\r\n")
            let preflight = try #require(try await connection.receive(1).first)
            #expect(preflight.status == 404)
            #expect(preflight.headers["access-control-allow-origin"] == nil)
            let get = try await api.get(Body.chat(), headers: [HTTPField.Name("Origin")!: Self.page])
            #expect(get.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == nil)
        }
    }

    @Test("open mode: a page on another origin can neither write, read nor invalidate (no preflight protects a form or a no-cors fetch); no Origin, the server's own, or an allowed one can")
    func openModeRefusesOtherOrigins() async throws {
        try await withTestServer(configure: { $0.cors = CORSPolicy(origins: [Self.page]) }) { api in
            let poison = Body.set(response: #""5 (poisoned)""#)
            for path in ["/api/cache/set", "/api/cache/get", "/api/cache/invalidate"] {
                for contentType in ["text/plain", "application/x-www-form-urlencoded"] {
                    let body = path == "/api/cache/invalidate" ? #"{"namespace":"default"}"# : poison
                    let answer = try await RouteAccessTests.send(api.port, "POST", path, body, ["Origin: https://evil.example", "Content-Type: \(contentType)"])
                    #expect(answer.status == 403, "\(path) \(contentType): \(answer.status) \(answer.body)")
                    #expect(answer.body.contains("--cors-origin"))
                }
            }
            #expect(try await api.get(Body.chat()).xCache == "MISS", "nothing was stored")
            // The server's own origin (RawHTTPConnection.request says Host: localhost).
            #expect(try await RouteAccessTests.send(api.port, "POST", "/api/cache/set", poison, ["Origin: http://localhost"]).status == 200)
            #expect(try await api.set(poison, headers: [HTTPField.Name("Origin")!: Self.page]).status == .ok)
            #expect(try await api.set(poison).status == .ok)
        }
    }

    @Test("an allowed origin gets its preflight and its answers marked, with Vary: Origin; another origin gets none", arguments: [true, false])
    func allowedOrigin(fastPath: Bool) async throws {
        try await withAuthServer(configure: { $0.cors = CORSPolicy(origins: [Self.page]); $0.hitFastPath = fastPath }) { api in
            let connection = try RawHTTPConnection(port: api.port)
            try connection.send(
                "OPTIONS /api/cache/get HTTP/1.1\r\nHost: x\r\nOrigin: \(Self.page)\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type, x-api-key\r\n\r\n"
            )
            let preflight = try #require(try await connection.receive(1).first)
            #expect(preflight.status == 204)
            #expect(preflight.headers["access-control-allow-origin"] == Self.page)
            #expect(preflight.headers["access-control-allow-methods"] == "POST")
            #expect(preflight.headers["access-control-allow-headers"]?.contains("X-API-Key") == true)
            #expect(preflight.headers["vary"] == "Origin")

            let key = try await api.provisionKey()
            var headers = keyHeaders(key)
            headers[HTTPField.Name("Origin")!] = Self.page
            let get = try await api.get(Body.chat(), headers: headers)
            #expect(get.status == .ok)
            #expect(get.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == Self.page)
            #expect(get.headers[HTTPField.Name("Access-Control-Expose-Headers")!]?.contains("X-Cache") == true)
            // Refusals are readable by the page too.
            let refused = try await api.get(Body.chat(), headers: [HTTPField.Name("Origin")!: Self.page])
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == Self.page)

            headers[HTTPField.Name("Origin")!] = "https://evil.example"
            let other = try await api.get(Body.chat(), headers: headers)
            #expect(other.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == nil)
            #expect(other.headers[.vary] == "Origin")
        }
    }

    @Test("only the API is shared with other origins: /metrics, /health, the dashboard and unknown paths get no Access-Control header")
    func apiOnly() async throws {
        try await withTestServer(configure: { $0.cors = CORSPolicy(origins: ["*"]) }) { api in
            for path in ["/metrics", "/health", "/dashboard", "/api/metrics/summary", "/nowhere"] {
                let answer = try await RouteAccessTests.send(api.port, "GET", path, "", ["Origin: https://anything.example"])
                let shared = answer.headers["access-control-allow-origin"] != nil
                #expect(shared == path.hasPrefix("/api/"), "\(path): \(answer.status)")
            }
        }
    }

    @Test("* allows any origin without Vary")
    func anyOrigin() async throws {
        try await withTestServer(configure: { $0.cors = CORSPolicy(origins: ["*"]) }) { api in
            let get = try await api.get(Body.chat(), headers: [HTTPField.Name("Origin")!: "https://anything.example"])
            #expect(get.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == "*")
            #expect(get.headers[.vary] == nil)
        }
    }

    @Test("a malformed --cors-origin is a configuration problem")
    func malformed() {
        for bad in ["app.example", "https://app.example/", "https://app.example/path", "ftp://x", "https://*.example.com"] {
            #expect(CORSPolicy(origins: [bad]).problem != nil, "\(bad)")
        }
        #expect(CORSPolicy(origins: ["*", "http://localhost:3000", "https://app.example"]).problem == nil)
    }
}
