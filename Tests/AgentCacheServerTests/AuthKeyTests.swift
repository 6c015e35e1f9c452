import AgentCacheAuth
import AgentCacheCore
import AgentCacheServer
import Foundation
import HTTPTypes
import Testing

/// Credentials on cache routes: required, checked, and every error code of SPEC §5 on them.
@Suite("API keys: credentials on cache routes")
struct AuthKeyTests {
    @Test("a cache route without a key is 401 API_KEY_REQUIRED; health and metrics stay open")
    func keyRequired() async throws {
        try await withAuthServer { api in
            try expectError(try await api.get(Body.chat()), .unauthorized, "API_KEY_REQUIRED")
            try expectError(try await api.request("/api/stats"), .unauthorized, "API_KEY_REQUIRED")
            // A path that matches no route is 404 before any key is asked for (SPEC §5).
            try expectError(try await api.post("/api/cache/nope", "{}"), .notFound, "NOT_FOUND")
            #expect(try await api.request("/health").status == .ok)
            #expect(try await api.request("/metrics").status == .ok)
        }
    }

    @Test("the key is accepted in X-API-Key and in Authorization: Bearer")
    func bothHeaders() async throws {
        try await withAuthServer { api in
            let key = try await api.provisionKey()
            #expect(try await api.get(Body.chat(), headers: keyHeaders(key)).status == .ok)
            #expect(try await api.get(Body.chat(), headers: [.authorization: "Bearer \(key)"]).status == .ok)
        }
    }

    @Test("a key with one character changed fails the checksum (INVALID_API_KEY) without a store lookup")
    func checksumRejectsTypo() async throws {
        try await withAuthServer { api in
            let key = try await api.provisionKey()
            let lookupsBefore = try api.authority.storeLookups
            var characters = Array(key)
            let index = characters.count - 12
            characters[index] = characters[index] == "a" ? "b" : "a"
            let typo = String(characters)
            let reply = try await api.get(Body.chat(), headers: keyHeaders(typo))
            try expectError(reply, .unauthorized, "INVALID_API_KEY")
            #expect(try reply.object()["error"] as? String == "API key checksum does not match: the key was mistyped or truncated")
            try expectError(try await api.get(Body.chat(), headers: keyHeaders("ac_acme_xyz")), .unauthorized, "INVALID_API_KEY")
            try expectError(try await api.get(Body.chat(), headers: keyHeaders("sk-something")), .unauthorized, "INVALID_API_KEY")
            #expect(try api.authority.storeLookups == lookupsBefore)
        }
    }

    @Test("a well-formed key the server never issued is INVALID_API_KEY")
    func unknownKey() async throws {
        try await withAuthServer { api in
            let stranger = APIKey.generate(integration: "acme").text
            try expectError(try await api.get(Body.chat(), headers: keyHeaders(stranger)), .unauthorized, "INVALID_API_KEY")
        }
    }

    @Test("a key past its expiry is 401 API_KEY_EXPIRED")
    func expiry() async throws {
        let clock = ManualClock(millis: testEpochMillis)
        try await withAuthServer(clock: clock) { api in
            let key = try await api.provisionKey(#""expires_in_days":1"#)
            #expect(try await api.get(Body.chat(), headers: keyHeaders(key)).status == .ok)
            clock.advance(by: 86_400_000)
            try expectError(try await api.get(Body.chat(), headers: keyHeaders(key)), .unauthorized, "API_KEY_EXPIRED")
        }
    }

    @Test("scopes: a read-only key can get and check but not set, invalidate or read stats (403 INSUFFICIENT_PERMISSIONS)")
    func scopes() async throws {
        try await withAuthServer { api in
            let key = try await api.provisionKey(#""scopes":["cache:read"]"#)
            let headers = keyHeaders(key)
            #expect(try await api.get(Body.chat(), headers: headers).status == .ok)
            #expect(try await api.check(Body.chat(), headers: headers).status == .ok)
            let set = try await api.set(Body.set(response: "1"), headers: headers)
            try expectError(set, .forbidden, "INSUFFICIENT_PERMISSIONS")
            #expect(try set.object()["error"] as? String == "this API key lacks the cache:write scope (it has: cache:read)")
            try expectError(try await api.invalidate(#"{"namespace":"default"}"#, headers: headers), .forbidden, "INSUFFICIENT_PERMISSIONS")
            try expectError(try await api.request("/api/stats", headers: headers), .forbidden, "INSUFFICIENT_PERMISSIONS")
        }
    }

    @Test("IP allow-list: a key limited to another address is refused from loopback; a CIDR that covers loopback is allowed")
    func ipAllowList() async throws {
        try await withAuthServer { api in
            let elsewhere = try await api.provisionKey(#""allowed_ips":["203.0.113.7","2001:db8::/32"]"#)
            let refused = try await api.get(Body.chat(), headers: keyHeaders(elsewhere))
            try expectError(refused, .forbidden, "INSUFFICIENT_PERMISSIONS")
            #expect((try refused.object()["error"] as? String)?.contains("IP allow-list") == true)
            let local = try await api.provisionKey(project: "p2", #""allowed_ips":["127.0.0.0/8"]"#)
            #expect(try await api.get(Body.chat(), headers: keyHeaders(local)).status == .ok)
            let bad = try await api.post("/api/provision", #"{"user_id":"u","integration":"x","project_id":"p","allowed_ips":["300.1.1.1"]}"#, headers: adminHeaders)
            try expectError(bad, .badRequest, "INVALID_REQUEST")
        }
    }

    @Test("every authenticated answer carries X-RateLimit-Limit/Remaining/Reset, errors included")
    func rateHeadersEverywhere() async throws {
        try await withAuthServer { api in
            let key = try await api.provisionKey(tier: "free")
            let ok = try await api.get(Body.chat(), headers: keyHeaders(key))
            #expect(ok.headers[HTTPField.Name("X-RateLimit-Limit")!] == "10")
            #expect(ok.headers[HTTPField.Name("X-RateLimit-Remaining")!] == "9")
            #expect(ok.headers[HTTPField.Name("X-RateLimit-Reset")!] == "1")
            let bad = try await api.get("{", headers: keyHeaders(key))
            try expectError(bad, .badRequest, "INVALID_REQUEST")
            #expect(bad.headers[HTTPField.Name("X-RateLimit-Limit")!] == "10")
            #expect(bad.headers[HTTPField.Name("X-RateLimit-Remaining")!] != nil)
        }
    }
}
