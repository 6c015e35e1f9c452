import AgentCacheServer
import Foundation
import HTTPTypes
import Testing

/// Authorisation belongs to the route (SPEC §5): every route the router holds declares its
/// access, and every spelling of a path that is not the route's own is 404, whoever asks.
@Suite("Route access")
struct RouteAccessTests {
    /// The four callers of the walk.
    enum Credential: String, CaseIterable {
        case none, wrongScope, rightScope, admin
    }

    /// One raw request; a fresh connection each, so no answer depends on an earlier one.
    static func send(_ port: Int, _ method: String, _ path: String, _ body: String, _ headers: [String]) async throws -> RawHTTPConnection.Answer {
        let connection = try RawHTTPConnection(port: port)
        try connection.send(RawHTTPConnection.request(method, path, body, headers: headers))
        return try #require(try await connection.receive(1, bodiless: method == "HEAD").first)
    }

    /// Every other spelling of `path`: a leading `//`, a trailing `/`, an inner `//`, one `/`
    /// percent-encoded, upper case.
    static func spellings(of path: String) -> [String] {
        var spelled = ["/" + path, path + "/", path.uppercased()]
        let slashes = path.indices.filter { path[$0] == "/" }
        if let inner = slashes.dropFirst().first {
            spelled.append(String(path[..<inner]) + "/" + String(path[inner...]))
        }
        let last = slashes.last!
        spelled.append(last == path.startIndex ? "/%2F" + path.dropFirst() : String(path[..<last]) + "%2F" + String(path[path.index(after: last)...]))
        return spelled
    }

    @Test(
        "every route × {no key, wrong scope, right scope, admin} × spellings is 401/403/404 or served as declared",
        arguments: [true, false]
    )
    func walkTheRouteTable(fastPath: Bool) async throws {
        try await withAuthServer(configure: { $0.hitFastPath = fastPath }) { api in
            // The router holds exactly the routes the table declared (nothing registered around it).
            let declared = Dictionary(uniqueKeysWithValues: api.parts.routes.map { ($0.route, $0.access) })
            let routerRoutes = Set(api.parts.routerRoutes.map { $0.replacingOccurrences(of: "{api_key}", with: ":api_key") })
            #expect(Set(declared.keys) == routerRoutes)
            #expect(declared.count >= 14)

            let scopes = ["cache:read", "cache:write", "cache:invalidate", "stats:read"]
            var keys: [String: String] = [:]
            for scope in scopes {
                keys[scope] = try await api.provisionKey(project: scope.replacingOccurrences(of: ":", with: "_"), tier: "enterprise", #""scopes":["\#(scope)"]"#)
            }
            let subject = try await api.provisionKey(project: "subject")

            for (route, access) in declared.sorted(by: { $0.key < $1.key }) {
                let parts = route.split(separator: " ", maxSplits: 1)
                let method = String(parts[0])
                let path = String(parts[1]).replacingOccurrences(of: ":api_key", with: subject)
                var body = ""
                if method == "POST" {
                    body = path.hasPrefix("/api/provision/jettythunder") ? #"{"environment":"staging"}"#
                        : path == "/api/provision" ? #"{"user_id":"w","integration":"walk","project_id":"w","tier":"free"}"#
                        : path.hasPrefix("/api/provision/") ? "{}" : Body.set(response: "1")
                }
                let scope = access.hasPrefix("scope ") ? String(access.dropFirst("scope ".count)) : nil
                for credential in Credential.allCases {
                    let headers: [String]
                    switch credential {
                    case .none: headers = []
                    case .wrongScope: headers = ["X-API-Key: " + keys[scopes.first { $0 != scope }!]!]
                    case .rightScope: headers = scope.map { ["X-API-Key: " + keys[$0]!] } ?? (access == "admin or key holder" ? ["X-API-Key: " + subject] : [])
                    case .admin: headers = ["Authorization: Bearer " + testAdminToken]
                    }
                    let answer = try await Self.send(api.port, method, path, body, headers)
                    let label = "\(credential) \(method) \(path) [\(access)] → \(answer.status) \(answer.body)"
                    switch (access, credential) {
                    // A key-holder route with no credential presents the key in its path (SPEC §5).
                    case ("public", _), ("admin", .admin), ("admin or key holder", .admin), ("admin or key holder", .rightScope),
                        ("admin or key holder", .none), (_, .rightScope) where scope != nil:
                        #expect(![401, 403, 404].contains(answer.status) && answer.status < 500, "\(label)")
                    case ("admin", _), (_, .none), (_, .admin):
                        #expect(answer.status == 401, "\(label)")
                    default:
                        #expect(answer.status == 403, "\(label)")
                    }
                    for spelling in Self.spellings(of: path) {
                        let other = try await Self.send(api.port, method, spelling, body, headers)
                        #expect(other.status == 404, "\(credential) \(method) \(spelling) → \(other.status) \(other.body)")
                        #expect(method == "HEAD" || other.body.contains("NOT_FOUND"), "\(spelling)")
                    }
                }
            }
        }
    }

    @Test("the paths that skipped the key are 404 and store nothing; a read-only key cannot write through another spelling")
    func reportedSpellings() async throws {
        try await withAuthServer { api in
            let body = #"{"provider":"o","model":"m","messages":[{"role":"u","content":"x"}],"response":1}"#
            for path in ["//api/cache/set", "/api//cache/get", "/api/cache/set/"] {
                let answer = try await Self.send(api.port, "POST", path, body, [])
                #expect(answer.status == 404, "\(path)")
            }
            #expect(try await Self.send(api.port, "GET", "/api/stats/", "", []).status == 404)
            #expect(try await Self.send(api.port, "GET", "//api/cdn/stream?path=private.txt", "", []).status == 404)
            #expect(try await api.edgeEntries() == 0)

            let reader = try await api.provisionKey(#""scopes":["cache:read"]"#)
            for path in ["/api/cache/set/", "/api/cache//set", "/api/cache/invalidate/"] {
                let answer = try await Self.send(api.port, "POST", path, path.contains("invalidate") ? #"{"namespace":"x"}"# : body, ["X-API-Key: \(reader)"])
                #expect(answer.status == 404, "\(path)")
            }
            let refused = try await Self.send(api.port, "POST", "/api/cache/set", body, ["X-API-Key: \(reader)"])
            #expect(refused.status == 403)
            #expect(refused.body.contains("INSUFFICIENT_PERMISSIONS"))
            #expect(try await api.edgeEntries() == 0)
        }
    }

    @Test(
        "X-API-Key, Authorization or X-Cache-Namespace sent twice with different values is 400 on every route that reads them",
        arguments: [true, false]
    )
    func duplicateHeaders(fastPath: Bool) async throws {
        try await withAuthServer(configure: { $0.hitFastPath = fastPath }) { api in
            let a = try await api.provisionKey(project: "a")
            let b = try await api.provisionKey(project: "b")
            #expect(try await api.set(Body.set(response: "1"), headers: keyHeaders(a)).status == .ok)
            let pairs = [
                ["X-API-Key: \(a)", "X-API-Key: \(b)"],
                ["Authorization: Bearer \(a)", "Authorization: Bearer \(b)"],
                ["X-API-Key: \(a)", "Authorization: Bearer \(b)"],
                ["X-API-Key: \(a)", "X-Cache-Namespace: one", "X-Cache-Namespace: two"],
            ]
            for headers in pairs {
                for path in ["/api/cache/get", "/api/cache/check", "/api/cache/set", "/api/cache/explain"] {
                    let answer = try await Self.send(api.port, "POST", path, Body.set(response: "1"), headers)
                    #expect(answer.status == 400, "\(path) \(headers)")
                    #expect(answer.body.contains("INVALID_REQUEST") && answer.body.contains("more than once"), "\(answer.body)")
                }
                #expect(try await Self.send(api.port, "GET", "/api/stats", "", headers).status == 400)
                #expect(try await Self.send(api.port, "GET", "/api/provision/\(a)", "", headers + ["Authorization: Bearer \(testAdminToken)"]).status == 400)
            }
            // An empty X-API-Key is no key: the Authorization header's counts.
            let fallback = try await Self.send(api.port, "POST", "/api/cache/get", Body.chat(), ["X-API-Key:", "Authorization: Bearer \(a)"])
            #expect(fallback.status == 200)
            // The same value twice is one value.
            let same = try await Self.send(api.port, "POST", "/api/cache/get", Body.chat(), ["X-API-Key: \(a)", "X-API-Key: \(a)"])
            #expect(same.status == 200 && same.headers["x-cache"] == "HIT-edge")
        }
    }

    @Test(
        "without a key, or with an unknown one, the 401 comes from the head: the body is never waited for",
        arguments: [true, false]
    )
    func refusedBeforeTheBody(fastPath: Bool) async throws {
        try await withAuthServer(configure: { $0.hitFastPath = fastPath }) { api in
            let unknown = try await api.provisionKey(project: "gone")
            #expect(try await api.post("/api/provision/\(unknown)/revoke", "", headers: adminHeaders).status == .ok)
            for headers in [[String](), ["X-API-Key: \(unknown)"], ["X-API-Key: ac_acme_00"]] {
                let connection = try RawHTTPConnection(port: api.port)
                // 4 MiB − 1 declared, none of it sent.
                try connection.send("POST /api/cache/get HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4194303\r\n"
                    + headers.map { $0 + "\r\n" }.joined() + "\r\n")
                let answer = try #require(try await connection.receive(1).first)
                #expect(answer.status == 401, "\(headers)")
            }
        }
    }
}
