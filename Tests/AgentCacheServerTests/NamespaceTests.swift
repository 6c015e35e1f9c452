import Foundation
import HTTPTypes
import Testing

/// SPEC §1/§2 namespaces: where they come from, how they are sanitised, how they isolate.
@Suite("Namespaces")
struct NamespaceTests {
    @Test("the X-Cache-Namespace header selects the namespace for set, get and check")
    func headerNamespace() async throws {
        try await withTestServer { api in
            let set = try await api.set(Body.set(response: #""in team_a""#), headers: namespaceHeader("team_a"))
            #expect(set.status == .ok)

            let sameHeader = try await api.get(Body.chat(), headers: namespaceHeader("team_a"))
            #expect(sameHeader.xCache == "HIT-edge")
            #expect(try sameHeader.object()["response"] as? String == "in team_a")

            let sameInBody = try await api.get(Body.chat(#""namespace":"team_a""#)).object()
            #expect(jsonBool(sameInBody["hit"]) == true)

            let noNamespace = try await api.get(Body.chat())
            #expect(noNamespace.xCache == "MISS")

            let checked = try await api.check(Body.chat(), headers: namespaceHeader("team_a")).object()
            #expect(jsonBool(checked["cached"]) == true)
            let explained = try await api.explain(Body.chat(), headers: namespaceHeader("team_a")).object()
            #expect(explained["namespace"] as? String == "team_a")
        }
    }

    @Test("the body namespace wins over the X-Cache-Namespace header")
    func bodyWinsOverHeader() async throws {
        try await withTestServer { api in
            let set = try await api.set(Body.set(response: #""body wins""#, #""namespace":"from_body""#), headers: namespaceHeader("from_header"))
            #expect(set.status == .ok)

            let viaBodyNamespace = try await api.get(Body.chat(), headers: namespaceHeader("from_body"))
            #expect(viaBodyNamespace.xCache == "HIT-edge")
            #expect(try viaBodyNamespace.object()["response"] as? String == "body wins")

            let viaHeaderNamespace = try await api.get(Body.chat(), headers: namespaceHeader("from_header"))
            #expect(viaHeaderNamespace.xCache == "MISS")

            // On a lookup too, the body decides even when the header says otherwise.
            let lookup = try await api.get(Body.chat(#""namespace":"from_body""#), headers: namespaceHeader("from_header"))
            #expect(lookup.xCache == "HIT-edge")
            let explained = try await api.explain(Body.chat(#""namespace":"from_body""#), headers: namespaceHeader("from_header")).object()
            #expect(explained["namespace"] as? String == "from_body")
        }
    }

    @Test("no namespace anywhere means `default`", arguments: [
        (#""#, HTTPFields()),
        (#""namespace":"""#, HTTPFields()),
        (#""namespace":null"#, HTTPFields()),
        (#""#, namespaceHeader("")),
    ])
    func absentIsDefault(extra: String, headers: HTTPFields) async throws {
        try await withTestServer { api in
            let set = try await api.set(Body.set(response: #""d""#, extra), headers: headers)
            #expect(set.status == .ok, "\(set.text)")
            let explicit = try await api.get(Body.chat(#""namespace":"default""#))
            #expect(explicit.xCache == "HIT-edge")
            let explained = try await api.explain(Body.chat(extra), headers: headers).object()
            #expect(explained["namespace"] as? String == "default")
            #expect(explained["qualified_namespace"] as? String == "default/default")
        }
    }

    @Test("jt_customer_<script> is sanitised to jt_customer__script_ (explain shows it)")
    func sanitisedNamespace() async throws {
        try await withTestServer { api in
            let explained = try await api.explain(Body.chat(#""namespace":"jt_customer_<script>""#)).object()
            #expect(explained["namespace"] as? String == "jt_customer__script_")
            let fields = try #require(explained["fields"] as? [[String: Any]])
            let namespaceField = fields.first { $0["field"] as? String == "namespace" }
            #expect(namespaceField?["canonical"] as? String == "jt_customer__script_")
        }
    }

    @Test("a raw namespace and its sanitised spelling share one namespace", arguments: [
        ("jt_customer_<script>", "jt_customer__script_"),
        ("team a/b.c", "team_a_b_c"),
        ("ns:1", "ns_1"),
        ("Ok-Name_09", "Ok-Name_09"),
        ("caf\u{E9}", "caf_"),
    ])
    func sanitisedSpellingsShare(raw: String, sanitised: String) async throws {
        try await withTestServer { api in
            let set = try await api.set(Body.set(response: "1", #""namespace":"\#(raw)""#))
            #expect(set.status == .ok, "\(set.text)")
            let hit = try await api.get(Body.chat(), headers: namespaceHeader(sanitised))
            #expect(hit.xCache == "HIT-edge")
            let explained = try await api.explain(Body.chat(#""namespace":"\#(raw)""#)).object()
            #expect(explained["namespace"] as? String == sanitised)
        }
    }

    @Test("an emoji in a namespace becomes two underscores (UTF-16 code units, as the JS client does)")
    func emojiSanitised() async throws {
        try await withTestServer { api in
            let explained = try await api.explain(Body.chat(#""namespace":"a🌍b""#)).object()
            #expect(explained["namespace"] as? String == "a__b")
        }
    }

    @Test("two namespaces never see each other's entries")
    func isolation() async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(response: #""alpha answer""#), headers: namespaceHeader("alpha"))
            let beforeBeta = try await api.get(Body.chat(), headers: namespaceHeader("beta"))
            #expect(beforeBeta.xCache == "MISS")
            let betaCheck = try await api.check(Body.chat(), headers: namespaceHeader("beta")).object()
            #expect(jsonBool(betaCheck["cached"]) == false)

            _ = try await api.set(Body.set(response: #""beta answer""#), headers: namespaceHeader("beta"))
            let alpha = try await api.get(Body.chat(), headers: namespaceHeader("alpha")).object()
            let beta = try await api.get(Body.chat(), headers: namespaceHeader("beta")).object()
            #expect(alpha["response"] as? String == "alpha answer")
            #expect(beta["response"] as? String == "beta answer")
            #expect(alpha["key"] as? String != beta["key"] as? String)
            let defaultNamespace = try await api.get(Body.chat())
            #expect(defaultNamespace.xCache == "MISS")
        }
    }

    @Test("namespaces are case-sensitive")
    func caseSensitive() async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(response: "1"), headers: namespaceHeader("Team"))
            #expect(try await api.get(Body.chat(), headers: namespaceHeader("team")).xCache == "MISS")
            #expect(try await api.get(Body.chat(), headers: namespaceHeader("Team")).xCache == "HIT-edge")
        }
    }

    @Test("a 64-character namespace is accepted on every route")
    func sixtyFourAccepted() async throws {
        let name = String(repeating: "n", count: 64)
        try await withTestServer { api in
            let set = try await api.set(Body.set(response: "1", #""namespace":"\#(name)""#))
            #expect(set.status == .ok, "\(set.text)")
            let get = try await api.get(Body.chat(), headers: namespaceHeader(name))
            #expect(get.xCache == "HIT-edge")
            #expect(try await api.check(Body.chat(#""namespace":"\#(name)""#)).status == .ok)
            #expect(try await api.explain(Body.chat(#""namespace":"\#(name)""#)).object()["namespace"] as? String == name)
            let invalidated = try await api.invalidate(#"{"namespace":"\#(name)"}"#)
            #expect(invalidated.status == .ok)
        }
    }

    static let tooLongRoutes = ["/api/cache/get", "/api/cache/set", "/api/cache/check", "/api/cache/explain", "/api/cache/invalidate"]

    @Test("a 65-character namespace in the body is 400 INVALID_REQUEST on every route", arguments: tooLongRoutes)
    func sixtyFiveInBodyRejected(route: String) async throws {
        let name = String(repeating: "n", count: 65)
        try await withTestServer { api in
            let body = route.hasSuffix("invalidate") ? #"{"namespace":"\#(name)"}"# : Body.set(response: "1", #""namespace":"\#(name)""#)
            let reply = try await api.post(route, body)
            try expectError(reply, .badRequest, "INVALID_REQUEST")
            #expect(try await api.edgeEntries() == 0)
        }
    }

    @Test("a 65-character namespace in the X-Cache-Namespace header is 400 INVALID_REQUEST on every route", arguments: tooLongRoutes)
    func sixtyFiveInHeaderRejected(route: String) async throws {
        let name = String(repeating: "n", count: 65)
        try await withTestServer { api in
            let body = route.hasSuffix("invalidate") ? "" : Body.set(response: "1")
            let reply = try await api.post(route, body, headers: namespaceHeader(name))
            try expectError(reply, .badRequest, "INVALID_REQUEST")
            #expect(try await api.edgeEntries() == 0)
        }
    }

    @Test("a namespace that grows past 64 characters only through sanitising still counts as its sanitised length")
    func lengthCountedAfterSanitising() async throws {
        try await withTestServer { api in
            // 32 emoji are 64 UTF-16 code units -> 64 underscores: accepted.
            let ok = try await api.explain(Body.chat(#""namespace":"\#(String(repeating: "🌍", count: 32))""#))
            #expect(ok.status == .ok)
            #expect(try ok.object()["namespace"] as? String == String(repeating: "_", count: 64))
            // 33 emoji -> 66 characters: rejected.
            let tooLong = try await api.explain(Body.chat(#""namespace":"\#(String(repeating: "🌍", count: 33))""#))
            try expectError(tooLong, .badRequest, "INVALID_REQUEST")
        }
    }
}
