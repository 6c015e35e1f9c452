import Foundation
import Testing

/// SPEC §2 canonical keys, seen from the outside: what must and must not share an entry.
@Suite("Key canonicalisation through HTTP")
struct KeyCanonicalisationTests {
    /// The request every test stores first.
    static let stored =
        #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#

    struct Variant: Sendable, CustomTestStringConvertible {
        let name: String
        let body: String
        var testDescription: String { name }
    }

    /// The same request spelled differently: each must hit the stored entry.
    static let sameRequest: [Variant] = [
        Variant(name: "identical bytes", body: stored),
        Variant(
            name: "top-level members reordered",
            body: #"{"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]},"temperature":1,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"model":"gpt-4o","provider":"openai"}"#
        ),
        Variant(
            name: "message members reordered",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"content":"Be brief.","role":"system"},{"content":"What is 2+2?","role":"user"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "params members reordered",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"stop":["\n"],"top_p":0.9,"max_tokens":100}}"#
        ),
        Variant(
            name: "extra whitespace and newlines everywhere",
            body: "\n { \"provider\" : \"openai\" ,\r\n \"model\":\t\"gpt-4o\", \"messages\" : [ { \"role\" : \"system\" , \"content\" : \"Be brief.\" } ,\n { \"role\":\"user\",\"content\":\"What is 2+2?\" } ] , \"temperature\" : 1 , \"params\" : { \"max_tokens\" : 100 , \"top_p\" : 0.9 , \"stop\" : [ \"\\n\" ] } }  \n"
        ),
        Variant(
            name: "temperature 1.0 instead of 1",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1.0,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "temperature 1e0 and max_tokens 1.00e2",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1e0,"params":{"max_tokens":1.00e2,"top_p":0.90,"stop":["\n"]}}"#
        ),
        Variant(
            name: "string escapes spelling the same characters (\\u0042 for B, \\u000a for newline)",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"\u0042e brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\u000a"]}}"#
        ),
    ]

    @Test("the same request with reordered members, other whitespace or another number spelling hits the same entry", arguments: sameRequest)
    func sameEntry(variant: Variant) async throws {
        try await withTestServer { api in
            let set = try await api.set(String(Self.stored.dropLast()) + #","response":"stored"}"#).object()
            let reply = try await api.get(variant.body)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.xCache == "HIT-edge")
            let json = try reply.object()
            #expect(jsonBool(json["hit"]) == true)
            #expect(json["response"] as? String == "stored")
            #expect(json["key"] as? String == set["key"] as? String)
        }
    }

    /// Requests that differ in a value: each must miss.
    static let differentRequest: [Variant] = [
        Variant(
            name: "different temperature (0.7)",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":0.7,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "temperature absent",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "different params value (max_tokens 101)",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":101,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "an extra param (seed)",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"],"seed":7}}"#
        ),
        Variant(
            name: "params absent",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1}"#
        ),
        Variant(
            name: "different message content",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+3?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "message content differing only by a trailing space",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2? "}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "message content differing only in case",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "different role",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "messages in another order",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"What is 2+2?"},{"role":"system","content":"Be brief."}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "a message dropped",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "an extra member in a message (name)",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?","name":"bob"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "different model",
            body: #"{"provider":"openai","model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "different provider",
            body: #"{"provider":"azure","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "content as an array of parts instead of the same string",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":[{"type":"text","text":"Be brief."}]},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "a value moved between fields (provider+model boundary)",
            body: #"{"provider":"openaig","model":"pt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
    ]

    @Test("a request that differs in any value misses", arguments: differentRequest)
    func differentEntry(variant: Variant) async throws {
        try await withTestServer { api in
            let set = try await api.set(String(Self.stored.dropLast()) + #","response":"stored"}"#).object()
            let reply = try await api.get(variant.body)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.xCache == "MISS")
            let json = try reply.object()
            #expect(jsonBool(json["hit"]) == false)
            #expect(json["key"] == nil || json["key"] as? String != set["key"] as? String)
        }
    }

    @Test("precomposed and decomposed é are different keys, each finding its own entry")
    func unicodeNormalFormsDiffer() async throws {
        try await withTestServer { api in
            let precomposed = Body.chat(content: "caf\u{E9}")
            let decomposed = Body.chat(content: "cafe\u{301}")
            _ = try await api.set(Body.set(content: "caf\u{E9}", response: #""pre""#))
            _ = try await api.set(Body.set(content: "cafe\u{301}", response: #""de""#))
            #expect(try await api.get(precomposed).object()["response"] as? String == "pre")
            #expect(try await api.get(decomposed).object()["response"] as? String == "de")
        }
    }

    @Test("empty params object is the same request as params absent")
    func emptyParamsIsAbsent() async throws {
        try await withTestServer { api in
            let withEmpty = try await api.set(Body.set(response: "1", #""params":{}"#)).object()
            let without = try await api.explain(Body.chat()).object()
            #expect(withEmpty["key"] as? String == without["key"] as? String)
        }
    }
}
