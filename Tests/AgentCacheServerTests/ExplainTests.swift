import AgentCacheCore
import Foundation
import Testing

/// SPEC §2 `POST /api/cache/explain`: which fields went into the key, canonically, and the hash.
@Suite("Explain")
struct ExplainTests {
    /// The `fields` array of an explain answer as (name, canonical value) pairs.
    static func fields(_ json: [String: Any]) throws -> [(name: String, canonical: Any?)] {
        let list = try #require(json["fields"] as? [[String: Any]], "fields must be an array of objects")
        return try list.map { field in
            (try #require(field["field"] as? String), field["canonical"])
        }
    }

    @Test("explain returns the key that set returns for the same body")
    func keyMatchesSet() async throws {
        try await withTestServer { api in
            let body = Body.chat(#""temperature":0.2,"params":{"max_tokens":64}"#)
            let explained = try await api.explain(body)
            #expect(explained.status == .ok)
            let explainedJSON = try explained.object()
            #expect(isHexKey(explainedJSON["key"]))
            let set = try await api.set(String(body.dropLast()) + #","response":"r"}"#).object()
            #expect(explainedJSON["key"] as? String == set["key"] as? String)
            let hit = try await api.get(body).object()
            #expect(hit["key"] as? String == explainedJSON["key"] as? String)
        }
    }

    @Test("explain lists tenant, namespace, generation, provider, model and messages with canonical values")
    func requiredFields() async throws {
        try await withTestServer { api in
            let body = #"{ "messages" : [ { "content" : "Hi there", "role" : "user" } ], "model":"gpt-4o", "provider":"openai", "namespace":"docs" }"#
            let json = try await api.explain(body).object()
            let fields = try Self.fields(json)
            #expect(fields.map(\.name) == ["tenant", "namespace", "generation", "provider", "model", "messages"])
            let values = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0.canonical) })
            #expect(values["tenant"] as? String == "default")
            #expect(values["namespace"] as? String == "docs")
            #expect(number(values["generation"] ?? nil) == 0)
            #expect(values["provider"] as? String == "openai")
            #expect(values["model"] as? String == "gpt-4o")
            #expect(values["messages"] as? String == #"[{"content":"Hi there","role":"user"}]"#)
            #expect(json["namespace"] as? String == "docs")
            #expect(json["qualified_namespace"] as? String == "default/docs")
        }
    }

    @Test("explain adds temperature and params when sent, in canonical form (sorted keys, normal numbers)")
    func optionalFields() async throws {
        try await withTestServer { api in
            let body = Body.chat(#""temperature":1.0,"params":{"top_p":0.90,"max_tokens":1e2,"stop":["a","b"],"tools":[{"type":"function","function":{"name":"f","description":"d"}}]}"#)
            let fields = try Self.fields(try await api.explain(body).object())
            #expect(fields.map(\.name) == ["tenant", "namespace", "generation", "provider", "model", "messages", "temperature", "params"])
            let values = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0.canonical) })
            #expect(values["temperature"] as? String == "1")
            #expect(values["params"] as? String == #"{"max_tokens":100,"stop":["a","b"],"tools":[{"function":{"description":"d","name":"f"},"type":"function"}],"top_p":0.9}"#)
            #expect(values["messages"] as? String == #"[{"content":"What is 2+2?","role":"user"}]"#)
        }
    }

    @Test("explain shows top-level generation parameters merged into params, and leaves control members out")
    func topLevelParametersInParams() async throws {
        try await withTestServer { api in
            let body = #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"get_weather"}}],"max_tokens":5,"response_format":{"type":"json_object"},"stream":true,"tags":["t"],"cache":{"tokens":3},"params":{"seed":9007199254740993}}"#
            let json = try await api.explain(body).object()
            let fields = try Self.fields(json)
            #expect(fields.map(\.name) == ["tenant", "namespace", "generation", "provider", "model", "messages", "params"])
            let params = fields.first { $0.name == "params" }?.canonical as? String
            #expect(params == #"{"max_tokens":5,"response_format":{"type":"json_object"},"seed":9007199254740993,"tools":[{"function":{"name":"get_weather"},"type":"function"}]}"#)
            let viaParams = #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"params":{"seed":9007199254740993,"tools":[{"type":"function","function":{"name":"get_weather"}}],"max_tokens":5,"response_format":{"type":"json_object"}}}"#
            #expect(try await api.explain(viaParams).object()["key"] as? String == json["key"] as? String)
        }
    }

    @Test("explain shows numbers a Double would round in their exact form")
    func exactNumbers() async throws {
        try await withTestServer { api in
            let fields = try Self.fields(try await api.explain(Body.chat(#""temperature":0.30000000000000001,"params":{"seed":12345678901234567891,"big":1E+400,"small":1e-400}"#)).object())
            #expect(fields.first { $0.name == "temperature" }?.canonical as? String == "0.30000000000000001")
            #expect(fields.first { $0.name == "params" }?.canonical as? String == #"{"big":1e400,"seed":12345678901234567891,"small":1e-400}"#)
        }
    }

    @Test("explain of a fractional temperature shows its shortest form")
    func fractionalTemperature() async throws {
        try await withTestServer { api in
            let fields = try Self.fields(try await api.explain(Body.chat(#""temperature":0.70"#)).object())
            #expect(fields.first { $0.name == "temperature" }?.canonical as? String == "0.7")
        }
    }

    @Test("explain's generation and key follow namespace invalidation")
    func generationFollowsInvalidation() async throws {
        try await withTestServer { api in
            let before = try await api.explain(Body.chat(#""namespace":"gen""#)).object()
            _ = try await api.invalidate(#"{"namespace":"gen"}"#)
            _ = try await api.invalidate(#"{"namespace":"gen"}"#)
            let after = try await api.explain(Body.chat(#""namespace":"gen""#)).object()
            #expect(before["key"] as? String != after["key"] as? String)
            let generation = try Self.fields(after).first { $0.name == "generation" }?.canonical
            #expect(number(generation ?? nil) == 2)
            let set = try await api.set(Body.set(response: "1", #""namespace":"gen""#)).object()
            #expect(set["key"] as? String == after["key"] as? String)
        }
    }

    @Test("explain's key is the XXH3-128 of the encoding it shows, and the encoding frames every field")
    func keyIsHashOfEncoding() async throws {
        try await withTestServer { api in
            let json = try await api.explain(Body.chat(#""temperature":0.5"#)).object()
            let hex = try #require(json["encoding_hex"] as? String)
            let length = try #require(json["encoding_length"] as? Int)
            #expect(hex.utf8.count == length * 2)
            let bytes = try #require(Self.bytes(fromHex: hex))
            #expect(KeyHasher.hash(bytes).hex == json["key"] as? String)
            #expect(json["algorithm"] as? String == "XXH3-128")
            // Every field's value is in the encoding, preceded by its 4-byte little-endian length.
            let list = try #require(json["fields"] as? [[String: Any]])
            var framed = 0
            for field in list {
                let fieldLength = try #require(field["length"] as? Int)
                framed += 1 + 4 + fieldLength
            }
            #expect(framed + 4 == length, "header (4 bytes) + tag/length/value per field must add up")
        }
    }

    @Test("explain stores nothing and counts as no lookup")
    func explainIsSideEffectFree() async throws {
        try await withTestServer { api in
            _ = try await api.explain(Body.chat())
            #expect(try await api.edgeEntries() == 0)
            #expect(try await api.edgeHits() == 0)
            #expect(try await api.edgeMisses() == 0)
            #expect(try await api.get(Body.chat()).xCache == "MISS")
        }
    }

    @Test("explain escapes canonical strings that contain quotes and non-ASCII")
    func explainEscapes() async throws {
        try await withTestServer { api in
            let reply = try await api.explain(Body.chat(content: #"say \"hé\" 🌍"#))
            #expect(reply.status == .ok)
            let fields = try Self.fields(try reply.object())
            let messages = try #require(fields.first { $0.name == "messages" }?.canonical as? String)
            let parsed = try #require(try parseJSON(messages) as? [[String: Any]])
            #expect(parsed.first?["content"] as? String == "say \"hé\" 🌍")
        }
    }

    static func bytes(fromHex hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = UInt8(String(UnicodeScalar(digits[index])), radix: 16),
                let low = UInt8(String(UnicodeScalar(digits[index + 1])), radix: 16)
            else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}
