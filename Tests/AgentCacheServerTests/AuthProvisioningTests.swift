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
            // The key alone, in the path (the seed's exact call): its holder is asking.
            let alone = try await api.request("/api/provision/\(key)")
            #expect(alone.status == .ok, "\(alone.text)")
            #expect(!alone.text.contains(key) && !alone.text.contains(digest))
            let stranger = APIKey.generate(integration: "acme").text
            try expectError(try await api.request("/api/provision/\(stranger)"), .unauthorized, "INVALID_API_KEY")
            #expect(try await api.post("/api/provision/\(key)/revoke", "", headers: adminHeaders).status == .ok)
            try expectError(try await api.request("/api/provision/\(key)", headers: keyHeaders(key)), .unauthorized, "INVALID_API_KEY")
            try expectError(try await api.request("/api/provision/\(key)"), .unauthorized, "INVALID_API_KEY")
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

    @Test("tenants are one-to-one with (user_id, integration, project_id): names that clean to one tenant are 409 CONFLICT after the first")
    func tenantCollisionRefused() async throws {
        try await withAuthServer { api in
            let first = try await api.post("/api/provision", #"{"user_id":"c1","integration":"shop","project_id":"eu_web"}"#, headers: adminHeaders)
            #expect(first.status == .created)
            #expect(try first.object()["namespace"] as? String == "shop_eu_web")
            let c1 = try #require(try first.object()["api_key"] as? String)
            _ = try await api.set(Body.set(response: "\"c1 only\""), headers: keyHeaders(c1))
            for body in [
                #"{"user_id":"c2","integration":"shop_eu","project_id":"web"}"#,
                #"{"user_id":"c3","integration":"shop","project_id":"EU.web"}"#,
            ] {
                let refused = try await api.post("/api/provision", body, headers: adminHeaders)
                try expectError(refused, .conflict, "CONFLICT")
                #expect(
                    try refused.object()["error"] as? String
                        == "tenant namespace 'shop_eu_web' already belongs to a different (user_id, integration, project_id); choose another integration or project_id"
                )
                #expect(!refused.text.contains("c1"), "the holder is not revealed")
            }
            // The same triple may have several keys, all in its tenant.
            let again = try await api.post("/api/provision", #"{"user_id":"c1","integration":"shop","project_id":"eu_web"}"#, headers: adminHeaders)
            #expect(again.status == .created)
            let second = try #require(try again.object()["api_key"] as? String)
            #expect(jsonBool(try await api.get(Body.chat(), headers: keyHeaders(second)).object()["hit"]) == true)
        }
    }

    @Test("the same integration and project for another user_id is 409 CONFLICT, not a shared tenant")
    func tenantOfAnotherUserRefused() async throws {
        try await withAuthServer { api in
            let first = try await api.post("/api/provision", #"{"user_id":"c1","integration":"shop","project_id":"web"}"#, headers: adminHeaders)
            #expect(first.status == .created)
            let other = try await api.post("/api/provision", #"{"user_id":"c2","integration":"shop","project_id":"web"}"#, headers: adminHeaders)
            try expectError(other, .conflict, "CONFLICT")
            // A JettyThunder environment is its own triple (jettythunder, jettythunder, <environment>).
            let jetty = try await api.post("/api/provision/jettythunder", #"{"environment":"staging"}"#, headers: adminHeaders)
            #expect(jetty.status == .created)
            let lookalike = try await api.post("/api/provision", #"{"user_id":"c1","integration":"jettythunder","project_id":"staging"}"#, headers: adminHeaders)
            try expectError(lookalike, .conflict, "CONFLICT")
        }
    }

    @Test("rotating a key again during its grace period replaces the pending successor: the first successor stops working, the grace is not extended")
    func rotateDuringGraceReplacesSuccessor() async throws {
        let clock = ManualClock(millis: testEpochMillis)
        try await withAuthServer(clock: clock, configure: { $0.rotationGraceSeconds = 3_600 }) { api in
            let old = try await api.provisionKey()
            let firstReply = try await api.post("/api/provision/\(old)/rotate", "", headers: adminHeaders).object()
            let first = try #require(firstReply["api_key"] as? String)
            #expect(try await api.get(Body.chat(), headers: keyHeaders(first)).status == .ok)
            clock.advance(by: 60_000)
            let secondReply = try await api.post("/api/provision/\(old)/rotate", "", headers: adminHeaders).object()
            let second = try #require(secondReply["api_key"] as? String)
            #expect(secondReply["old_key_valid_until"] as? String == firstReply["old_key_valid_until"] as? String)
            try expectError(try await api.get(Body.chat(), headers: keyHeaders(first)), .unauthorized, "INVALID_API_KEY")
            #expect(try await api.keyInfo(first)["status"] as? String == "revoked")
            #expect(try await api.get(Body.chat(), headers: keyHeaders(second)).status == .ok)
            #expect(try await api.get(Body.chat(), headers: keyHeaders(old)).status == .ok)
            // A successor that was rotated itself is not replaced from the old key: 409.
            let third = try #require(try await api.post("/api/provision/\(second)/rotate", "", headers: adminHeaders).object()["api_key"] as? String)
            try expectError(try await api.post("/api/provision/\(old)/rotate", "", headers: adminHeaders), .conflict, "CONFLICT")
            #expect(try await api.get(Body.chat(), headers: keyHeaders(second)).status == .ok)
            #expect(try await api.get(Body.chat(), headers: keyHeaders(third)).status == .ok)
            // The revoked first successor cannot be rotated.
            try expectError(try await api.post("/api/provision/\(first)/rotate", "", headers: adminHeaders), .badRequest, "INVALID_REQUEST")
            clock.advance(by: 3_600_000)
            try expectError(try await api.get(Body.chat(), headers: keyHeaders(old)), .unauthorized, "API_KEY_EXPIRED")
        }
    }
}
