import AgentCacheAuth
import AgentCacheCore
import AgentCacheServer
import Foundation
import HTTPTypes
import Testing

/// Provisioning and the admin routes (SPEC §5, seed 000) over real HTTP.
@Suite("API keys: provisioning and admin routes")
struct AuthProvisioningTests {
    @Test("POST /api/provision/jettythunder answers seed 000's shape with an enterprise key for jettythunder_<environment>")
    func jettyThunderShape() async throws {
        try await withAuthServer { api in
            let reply = try await api.post("/api/provision/jettythunder", #"{"environment": "staging"}"#, headers: adminHeaders)
            #expect(reply.status == .created)
            let body = try reply.object()
            #expect(Set(body.keys) == ["success", "message", "api_key", "namespace", "environment", "rate_limit", "tier"])
            #expect(jsonBool(body["success"]) == true)
            #expect(body["message"] as? String == "JettyThunder master key provisioned successfully")
            #expect(body["namespace"] as? String == "jettythunder_staging")
            #expect(body["environment"] as? String == "staging")
            #expect(body["rate_limit"] as? Int == 10_000_000)
            #expect(body["tier"] as? String == "enterprise")
            let key = try #require(body["api_key"] as? String)
            #expect(key.wholeMatch(of: #/ac_jettythunder_[0-9a-f]{40}/#) != nil)
        }
    }

    @Test("an empty jettythunder body provisions production; an unknown environment is 400")
    func jettyThunderDefaults() async throws {
        try await withAuthServer { api in
            let reply = try await api.post("/api/provision/jettythunder", "", headers: adminHeaders)
            #expect(try reply.object()["namespace"] as? String == "jettythunder_production")
            let bad = try await api.post("/api/provision/jettythunder", #"{"environment":"moon"}"#, headers: adminHeaders)
            try expectError(bad, .badRequest, "INVALID_REQUEST")
        }
    }

    @Test("generic provisioning names the tenant <integration>_<project_id>, sanitised, with the tier's monthly limit")
    func genericProvision() async throws {
        try await withAuthServer { api in
            let reply = try await api.post(
                "/api/provision",
                #"{"user_id":"org1","integration":"My-App","project_id":"Proj 7","tier":"pro","sector":"ai","use_case":"chat"}"#,
                headers: adminHeaders
            )
            let body = try reply.object()
            #expect(body["namespace"] as? String == "my_app_proj_7")
            #expect(body["rate_limit"] as? Int == 1_000_000)
            #expect(body["tier"] as? String == "pro")
            #expect((body["api_key"] as? String)?.hasPrefix("ac_my_app_") == true)
            let badTier = try await api.post("/api/provision", #"{"user_id":"o","integration":"x","project_id":"p","tier":"gold"}"#, headers: adminHeaders)
            try expectError(badTier, .badRequest, "INVALID_REQUEST")
            let missing = try await api.post("/api/provision", #"{"integration":"x","project_id":"p"}"#, headers: adminHeaders)
            try expectError(missing, .badRequest, "INVALID_REQUEST")
        }
    }

    @Test("admin routes are refused without the admin token (401) and with a wrong one (401)")
    func adminTokenRequired() async throws {
        try await withAuthServer { api in
            try expectError(try await api.post("/api/provision/jettythunder", "{}"), .unauthorized, "API_KEY_REQUIRED")
            let wrong: HTTPFields = [.authorization: "Bearer not-the-admin-token"]
            try expectError(try await api.post("/api/provision/jettythunder", "{}", headers: wrong), .unauthorized, "INVALID_API_KEY")
            let key = try await api.provisionKey()
            // A tenant's own key is not an admin token.
            try expectError(try await api.post("/api/provision/\(key)/revoke", "", headers: [.authorization: "Bearer \(key)"]), .unauthorized, "INVALID_API_KEY")
            try expectError(try await api.post("/api/provision/\(key)/revoke", "", headers: wrong), .unauthorized, "INVALID_API_KEY")
        }
    }

    @Test("GET /api/provision/<key> answers that key's holder (the seed's 'verify key is active' step), never another key's")
    func keyInfoForItsHolder() async throws {
        try await withAuthServer { api in
            let key = try await api.provisionKey(project: "mine")
            let other = try await api.provisionKey(project: "theirs")
            let digest = try APIKey.parse(key).digest
            for headers: HTTPFields in [[.authorization: "Bearer \(key)"], keyHeaders(key)] {
                let reply = try await api.request("/api/provision/\(key)", headers: headers)
                #expect(reply.status == .ok, "\(reply.text)")
                #expect(try reply.object()["status"] as? String == "active")
                #expect(!reply.text.contains(key) && !reply.text.contains(digest))
            }
            try expectError(try await api.request("/api/provision/\(other)", headers: keyHeaders(key)), .forbidden, "INSUFFICIENT_PERMISSIONS")
            try expectError(try await api.request("/api/provision/\(key)"), .unauthorized, "API_KEY_REQUIRED")
            #expect(try await api.post("/api/provision/\(key)/revoke", "", headers: adminHeaders).status == .ok)
            try expectError(try await api.request("/api/provision/\(key)", headers: keyHeaders(key)), .unauthorized, "INVALID_API_KEY")
        }
    }

    @Test("in open mode the admin routes are disabled (403) and cache routes need no key")
    func openModeDisablesAdmin() async throws {
        try await withTestServer { api in
            let reply = try await api.post("/api/provision/jettythunder", "{}", headers: adminHeaders)
            try expectError(reply, .forbidden, "INSUFFICIENT_PERMISSIONS")
            #expect(try reply.object()["error"] as? String == "admin routes are disabled: set --admin-token (or AGENTCACHE_ADMIN_TOKEN) to enable API keys")
            #expect(try await api.get(Body.chat()).status == .ok)
        }
    }

    @Test("key info shows tier, scopes and usage but never the key or its digest")
    func infoHidesSecrets() async throws {
        try await withAuthServer { api in
            let key = try await api.provisionKey()
            _ = try await api.set(Body.set(response: "1"), headers: keyHeaders(key, namespace: "n1"))
            let reply = try await api.request("/api/provision/\(key)", headers: adminHeaders)
            #expect(reply.status == .ok)
            #expect(!reply.text.contains(key))
            #expect(!reply.text.contains(APIKey.digest(of: key)))
            let body = try reply.object()
            #expect(body["status"] as? String == "active")
            #expect(body["tier"] as? String == "pro")
            #expect(body["scopes"] as? [String] == ["cache:invalidate", "cache:read", "cache:write", "stats:read"])
            let usage = try #require(body["usage"] as? [String: Any])
            #expect(usage["requests"] as? Int == 1)
            #expect(usage["namespaces"] as? [String] == ["n1"])
            let unknown = APIKey.generate(integration: "acme").text
            try expectError(try await api.request("/api/provision/\(unknown)", headers: adminHeaders), .notFound, "NOT_FOUND")
        }
    }

    @Test("a revoked key is refused with INVALID_API_KEY")
    func revoke() async throws {
        try await withAuthServer { api in
            let key = try await api.provisionKey()
            #expect(try await api.get(Body.chat(), headers: keyHeaders(key)).status == .ok)
            let reply = try await api.post("/api/provision/\(key)/revoke", "", headers: adminHeaders)
            #expect(try reply.object()["status"] as? String == "revoked")
            try expectError(try await api.get(Body.chat(), headers: keyHeaders(key)), .unauthorized, "INVALID_API_KEY")
        }
    }

    @Test("after rotate both keys work during the grace period; after it the old key is expired and the new one works")
    func rotate() async throws {
        let clock = ManualClock(millis: testEpochMillis)
        try await withAuthServer(clock: clock, configure: { $0.rotationGraceSeconds = 3_600 }) { api in
            let old = try await api.provisionKey()
            _ = try await api.set(Body.set(response: "\"kept\""), headers: keyHeaders(old))
            let reply = try await api.post("/api/provision/\(old)/rotate", "", headers: adminHeaders)
            let body = try reply.object()
            let new = try #require(body["api_key"] as? String)
            #expect(new != old)
            #expect(body["old_key_valid_until"] as? String == "2023-11-14T23:13:20.000Z")
            #expect(try await api.get(Body.chat(), headers: keyHeaders(old)).status == .ok)
            // Same tenant: the new key sees what the old one stored.
            #expect(jsonBool(try await api.get(Body.chat(), headers: keyHeaders(new)).object()["hit"]) == true)
            clock.advance(by: 3_600_000)
            try expectError(try await api.get(Body.chat(), headers: keyHeaders(old)), .unauthorized, "API_KEY_EXPIRED")
            #expect(try await api.get(Body.chat(), headers: keyHeaders(new)).status == .ok)
        }
    }
}
