import AgentCacheAuth
import AgentCacheCore
import AgentCacheServer
import Foundation
import HTTPTypes
import Testing

/// Tenant isolation (SPEC §2): two keys of different tenants using the same client namespace
/// and the same request never see each other's entries or invalidations, whatever they send.
@Suite("API keys: tenant isolation")
struct AuthTenancyTests {
    static let setA = Body.set(response: #""tenant A's answer""#, #""namespace":"jt_customer_1""#)
    static let getShared = Body.chat(#""namespace":"jt_customer_1""#)

    @Test("same namespace, same request: B misses A's entry, B's own set does not overwrite A's")
    func entriesAreIsolated() async throws {
        try await withAuthServer { api in
            let a = try await api.provisionKey(integration: "alpha", tier: "enterprise")
            let b = try await api.provisionKey(integration: "beta", tier: "enterprise")
            #expect(try await api.set(Self.setA, headers: keyHeaders(a)).status == .ok)
            let missB = try await api.get(Self.getShared, headers: keyHeaders(b))
            #expect(jsonBool(try missB.object()["hit"]) == false)
            #expect(jsonBool(try await api.check(Self.getShared, headers: keyHeaders(b)).object()["cached"]) == false)
            _ = try await api.set(Body.set(response: #""tenant B's answer""#, #""namespace":"jt_customer_1""#), headers: keyHeaders(b))
            let hitA = try await api.get(Self.getShared, headers: keyHeaders(a)).object()
            #expect(hitA["response"] as? String == "tenant A's answer")
            let hitB = try await api.get(Self.getShared, headers: keyHeaders(b)).object()
            #expect(hitB["response"] as? String == "tenant B's answer")
        }
    }

    @Test("B invalidating the shared namespace name, or deleting the entry, leaves A's entry in place")
    func invalidationsAreIsolated() async throws {
        try await withAuthServer { api in
            let a = try await api.provisionKey(integration: "alpha", tier: "enterprise")
            let b = try await api.provisionKey(integration: "beta", tier: "enterprise")
            _ = try await api.set(Self.setA, headers: keyHeaders(a))
            #expect(try await api.invalidate(#"{"namespace":"jt_customer_1"}"#, headers: keyHeaders(b)).status == .ok)
            #expect(try await api.invalidate(Self.getShared, headers: keyHeaders(b)).status == .ok)
            #expect(try await api.invalidate("", headers: keyHeaders(b, namespace: "jt_customer_1")).status == .ok)
            #expect(jsonBool(try await api.get(Self.getShared, headers: keyHeaders(a)).object()["hit"]) == true)
        }
    }

    @Test("no namespace spelling (../, tenant/x, URL-encoding, header vs body, the tenant's own name) reaches another tenant")
    func spellingsCannotEscape() async throws {
        try await withAuthServer { api in
            let a = try await api.provisionKey(integration: "alpha", project: "prod", tier: "enterprise")
            let b = try await api.provisionKey(integration: "beta", tier: "enterprise")
            // A stores in its default namespace and in jt_customer_1.
            _ = try await api.set(Body.set(response: "1"), headers: keyHeaders(a))
            _ = try await api.set(Self.setA, headers: keyHeaders(a))
            let spellings = [
                "../alpha_prod/default", "alpha_prod/default", "alpha_prod/jt_customer_1", "../alpha_prod/jt_customer_1",
                "alpha_prod%2Fdefault", "alpha_prod%2Fjt_customer_1", "..%2Falpha_prod%2Fjt_customer_1", "alpha_prod",
                "/jt_customer_1", "jt_customer_1/", "default/../../alpha_prod/default",
            ]
            for spelling in spellings {
                let inBody = Body.chat(#""namespace":"\#(spelling)""#)
                #expect(jsonBool(try await api.get(inBody, headers: keyHeaders(b)).object()["hit"]) == false, "body \(spelling)")
                #expect(
                    jsonBool(try await api.get(Body.chat(), headers: keyHeaders(b, namespace: spelling)).object()["hit"]) == false,
                    "header \(spelling)"
                )
                _ = try await api.invalidate(#"{"namespace":"\#(spelling)"}"#, headers: keyHeaders(b))
                let explained = try await api.explain(inBody, headers: keyHeaders(b)).object()
                #expect((explained["qualified_namespace"] as? String)?.hasPrefix("beta_p1/") == true, "explain \(spelling)")
            }
            // Header and body disagreeing still act inside B's tenant only.
            let mixed = try await api.get(Self.getShared, headers: keyHeaders(b, namespace: "alpha_prod/jt_customer_1"))
            #expect(jsonBool(try mixed.object()["hit"]) == false)
            #expect(jsonBool(try await api.get(Body.chat(), headers: keyHeaders(a)).object()["hit"]) == true)
            #expect(jsonBool(try await api.get(Self.getShared, headers: keyHeaders(a)).object()["hit"]) == true)
        }
    }
}
