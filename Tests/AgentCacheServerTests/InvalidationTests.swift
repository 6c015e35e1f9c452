import Foundation
import HTTPTypes
import Testing

/// SPEC §4: namespace invalidation by generation, and single-entry delete.
@Suite("Invalidation")
struct InvalidationTests {
    @Test("invalidating a namespace answers {success: true, namespace, generation: 1}, then generation 2")
    func generationsCount() async throws {
        try await withTestServer { api in
            let first = try await api.invalidate(#"{"namespace":"team_a"}"#)
            #expect(first.status == .ok)
            let firstJSON = try first.object()
            #expect(jsonBool(firstJSON["success"]) == true)
            #expect(firstJSON["namespace"] as? String == "team_a")
            #expect(number(firstJSON["generation"]) == 1)

            let second = try await api.invalidate(#"{"namespace":"team_a"}"#).object()
            #expect(jsonBool(second["success"]) == true)
            #expect(number(second["generation"]) == 2)

            // Generations are per namespace.
            let other = try await api.invalidate(#"{"namespace":"team_b"}"#).object()
            #expect(number(other["generation"]) == 1)
        }
    }

    @Test("entries set before an invalidation miss afterwards; other namespaces keep theirs")
    func invalidateHidesOldEntries() async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(content: "q1", response: #""a1""#), headers: namespaceHeader("team_a"))
            _ = try await api.set(Body.set(content: "q2", response: #""a2""#), headers: namespaceHeader("team_a"))
            _ = try await api.set(Body.set(content: "q1", response: #""b1""#), headers: namespaceHeader("team_b"))
            _ = try await api.set(Body.set(content: "q1", response: #""d1""#))

            let reply = try await api.invalidate(#"{"namespace":"team_a"}"#)
            #expect(reply.status == .ok)

            for content in ["q1", "q2"] {
                let get = try await api.get(Body.chat(content: content), headers: namespaceHeader("team_a"))
                #expect(get.xCache == "MISS")
                #expect(jsonBool(try get.object()["hit"]) == false)
                let check = try await api.check(Body.chat(content: content), headers: namespaceHeader("team_a")).object()
                #expect(jsonBool(check["cached"]) == false)
            }
            let teamB = try await api.get(Body.chat(content: "q1"), headers: namespaceHeader("team_b")).object()
            #expect(teamB["response"] as? String == "b1")
            let defaultNamespace = try await api.get(Body.chat(content: "q1")).object()
            #expect(defaultNamespace["response"] as? String == "d1")
        }
    }

    @Test("entries set after an invalidation are served, under a new key")
    func setAfterInvalidate() async throws {
        try await withTestServer { api in
            let before = try await api.set(Body.set(response: #""old""#), headers: namespaceHeader("ns")).object()
            _ = try await api.invalidate(#"{"namespace":"ns"}"#)
            let after = try await api.set(Body.set(response: #""new""#), headers: namespaceHeader("ns")).object()
            #expect(before["key"] as? String != after["key"] as? String)
            let json = try await api.get(Body.chat(), headers: namespaceHeader("ns")).object()
            #expect(json["response"] as? String == "new")
            #expect(json["key"] as? String == after["key"] as? String)
        }
    }

    @Test("the namespace to invalidate can come from the X-Cache-Namespace header, with an empty or {} body", arguments: ["", "{}"])
    func invalidateByHeader(body: String) async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(response: "1"), headers: namespaceHeader("hdr"))
            let reply = try await api.invalidate(body, headers: namespaceHeader("hdr"))
            #expect(reply.status == .ok, "\(reply.text)")
            let json = try reply.object()
            #expect(json["namespace"] as? String == "hdr")
            #expect(number(json["generation"]) == 1)
            #expect(try await api.get(Body.chat(), headers: namespaceHeader("hdr")).xCache == "MISS")
        }
    }

    @Test("the body namespace wins over the header when invalidating")
    func invalidateBodyWins() async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(response: "1"), headers: namespaceHeader("body_ns"))
            _ = try await api.set(Body.set(response: "2"), headers: namespaceHeader("header_ns"))
            let json = try await api.invalidate(#"{"namespace":"body_ns"}"#, headers: namespaceHeader("header_ns")).object()
            #expect(json["namespace"] as? String == "body_ns")
            #expect(try await api.get(Body.chat(), headers: namespaceHeader("body_ns")).xCache == "MISS")
            #expect(try await api.get(Body.chat(), headers: namespaceHeader("header_ns")).xCache == "HIT-edge")
        }
    }

    @Test("invalidate answers the sanitised namespace name")
    func invalidateSanitises() async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(response: "1", #""namespace":"jt_customer__script_""#))
            let json = try await api.invalidate(#"{"namespace":"jt_customer_<script>"}"#).object()
            #expect(json["namespace"] as? String == "jt_customer__script_")
            #expect(try await api.get(Body.chat(#""namespace":"jt_customer__script_""#)).xCache == "MISS")
        }
    }

    @Test("invalidating `default` by name hides entries stored without a namespace")
    func invalidateDefault() async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(response: "1"))
            let json = try await api.invalidate(#"{"namespace":"default"}"#).object()
            #expect(json["namespace"] as? String == "default")
            #expect(try await api.get(Body.chat()).xCache == "MISS")
        }
    }

    @Test("sending the get fields deletes only that entry and leaves the generation alone")
    func singleEntryDelete() async throws {
        try await withTestServer { api in
            let target = try await api.set(Body.set(content: "delete me", response: #""x""#), headers: namespaceHeader("ns")).object()
            _ = try await api.set(Body.set(content: "keep me", response: #""y""#), headers: namespaceHeader("ns"))
            #expect(try await api.edgeEntries() == 2)

            let reply = try await api.invalidate(Body.chat(content: "delete me"), headers: namespaceHeader("ns"))
            #expect(reply.status == .ok, "\(reply.text)")
            let json = try reply.object()
            #expect(jsonBool(json["success"]) == true)
            #expect(json["namespace"] as? String == "ns")
            #expect(number(json["generation"]) == 0)
            #expect(json["key"] as? String == target["key"] as? String)

            #expect(try await api.get(Body.chat(content: "delete me"), headers: namespaceHeader("ns")).xCache == "MISS")
            let kept = try await api.get(Body.chat(content: "keep me"), headers: namespaceHeader("ns")).object()
            #expect(kept["response"] as? String == "y")
            #expect(try await api.edgeEntries() == 1)
        }
    }

    @Test("single-entry delete of an absent entry succeeds and removes nothing")
    func deleteAbsent() async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(content: "keep me", response: #""y""#))
            let reply = try await api.invalidate(Body.chat(content: "never stored"))
            #expect(reply.status == .ok)
            #expect(jsonBool(try reply.object()["success"]) == true)
            #expect(try await api.get(Body.chat(content: "keep me")).xCache == "HIT-edge")
        }
    }

    @Test("single-entry delete in one namespace does not touch the same request in another")
    func deleteIsNamespaced() async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(response: #""a""#), headers: namespaceHeader("a"))
            _ = try await api.set(Body.set(response: #""b""#), headers: namespaceHeader("b"))
            _ = try await api.invalidate(Body.chat(#""namespace":"a""#))
            #expect(try await api.get(Body.chat(), headers: namespaceHeader("a")).xCache == "MISS")
            #expect(try await api.get(Body.chat(), headers: namespaceHeader("b")).xCache == "HIT-edge")
        }
    }

    @Test("invalidate with no namespace in the body or the header is 400 INVALID_REQUEST and changes nothing", arguments: ["{}", "", #"{"namespace":null}"#, "  \n"])
    func invalidateWithoutNamespace(body: String) async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(response: "1"))
            let reply = try await api.invalidate(body)
            try expectError(reply, .badRequest, "INVALID_REQUEST")
            #expect(try await api.get(Body.chat()).xCache == "HIT-edge")
            let explained = try await api.explain(Body.chat()).object()
            let fields = try #require(explained["fields"] as? [[String: Any]])
            #expect(number(fields.first { $0["field"] as? String == "generation" }?["canonical"]) == 0)
        }
    }

    @Test("a single-entry delete body with only some of provider/model/messages is 400 and deletes nothing")
    func partialEntryFields() async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(response: "1"))
            let reply = try await api.invalidate(#"{"provider":"openai","namespace":"default"}"#)
            try expectError(reply, .badRequest, "INVALID_REQUEST")
            #expect(try await api.get(Body.chat()).xCache == "HIT-edge")
        }
    }
}
