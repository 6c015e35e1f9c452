import Testing
@testable import AgentCacheCore

@Suite("Canonical cache keys")
struct KeyMaterialTests {
    let namespace = CacheNamespace(tenant: "default", name: "default")

    func fields(_ body: String) throws -> ChatKeyFields {
        try Array(body.utf8).withUnsafeBytes { try CacheRequestParser.lookup($0).fields }
    }

    func key(_ body: String, namespace: CacheNamespace? = nil, generation: UInt64 = 0) throws -> CacheKey {
        KeyMaterial.chat(namespace: namespace ?? self.namespace, generation: generation, fields: try fields(body)).key
    }

    @Test("XXH3-128 matches libxxhash's reference digests")
    func xxh3ReferenceVectors() {
        #expect(KeyHasher.hash([]).hex == "99aa06d3014798d86001c324468d497f")
        #expect(KeyHasher.hash(Array("abc".utf8)).hex == "06b05ab6733a618578af5f94892f3950")
    }

    @Test("length-prefixed framing keeps provider \"ab\" + model \"c\" apart from \"a\" + \"bc\"")
    func framingSeparatesFieldBoundaries() {
        let messages = JSONValue.array([.object([JSONMember(key: "role", value: .string("user"))])])
        let one = KeyMaterial.chat(namespace: namespace, generation: 0, fields: ChatKeyFields(provider: "ab", model: "c", messages: messages))
        let two = KeyMaterial.chat(namespace: namespace, generation: 0, fields: ChatKeyFields(provider: "a", model: "bc", messages: messages))
        #expect(one.bytes != two.bytes)
        #expect(one.key != two.key)
    }

    @Test("tenant/namespace boundaries cannot be shifted either")
    func framingSeparatesTenantAndNamespace() {
        let messages = JSONValue.array([])
        let fields = ChatKeyFields(provider: "p", model: "m", messages: messages)
        let one = KeyMaterial.chat(namespace: CacheNamespace(tenant: "ab", name: "c"), generation: 0, fields: fields)
        let two = KeyMaterial.chat(namespace: CacheNamespace(tenant: "a", name: "bc"), generation: 0, fields: fields)
        #expect(one.key != two.key)
    }

    @Test("key order and whitespace do not change the key")
    func keyOrderAndWhitespaceInvariance() throws {
        let compact = #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":0.7,"params":{"max_tokens":100,"top_p":1}}"#
        let shuffled = """
            {
              "params": { "top_p": 1, "max_tokens": 100 },
              "messages": [ { "content": "hi", "role": "user" } ],
              "temperature": 0.7, "model": "gpt-4o", "provider": "openai"
            }
            """
        #expect(try key(compact) == key(shuffled))
    }

    @Test("numbers in different forms (1, 1.0, 1e0) give the same key")
    func numberFormsAreCanonical() throws {
        let base = #"{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}],"temperature":"#
        #expect(try key(base + "1}") == key(base + "1.0}"))
        #expect(try key(base + "1}") == key(base + "1e0}"))
        #expect(try key(base + "1}") == key(base + "10e-1}"))
    }

    @Test("unicode escapes and raw UTF-8 give the same key")
    func unicodeEscapesAreCanonical() throws {
        let escaped = #"{"provider":"p","model":"m","messages":[{"role":"user","content":"caf\u00e9 \ud83d\ude00"}]}"#
        let raw = #"{"provider":"p","model":"m","messages":[{"role":"user","content":"café 😀"}]}"#
        #expect(try key(escaped) == key(raw))
    }

    @Test("any difference in a value changes the key")
    func valueDifferencesChangeTheKey() throws {
        let base = #"{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}],"temperature":0.5,"params":{"seed":1}}"#
        let variants = [
            #"{"provider":"q","model":"m","messages":[{"role":"user","content":"x"}],"temperature":0.5,"params":{"seed":1}}"#,
            #"{"provider":"p","model":"n","messages":[{"role":"user","content":"x"}],"temperature":0.5,"params":{"seed":1}}"#,
            #"{"provider":"p","model":"m","messages":[{"role":"user","content":"y"}],"temperature":0.5,"params":{"seed":1}}"#,
            #"{"provider":"p","model":"m","messages":[{"role":"system","content":"x"}],"temperature":0.5,"params":{"seed":1}}"#,
            #"{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}],"temperature":0.6,"params":{"seed":1}}"#,
            #"{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}],"params":{"seed":1}}"#,
            #"{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}],"temperature":0.5,"params":{"seed":2}}"#,
            #"{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}],"temperature":0.5}"#,
        ]
        let baseKey = try key(base)
        var seen: Set<CacheKey> = [baseKey]
        for variant in variants {
            let variantKey = try key(variant)
            #expect(!seen.contains(variantKey), "\(variant) collided")
            seen.insert(variantKey)
        }
    }

    @Test("namespace, tenant and generation are part of the key")
    func scopeIsPartOfTheKey() throws {
        let body = #"{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}]}"#
        let base = try key(body)
        #expect(try key(body, namespace: CacheNamespace(tenant: "default", name: "other")) != base)
        #expect(try key(body, namespace: CacheNamespace(tenant: "acme", name: "default")) != base)
        #expect(try key(body, generation: 1) != base)
    }

    @Test("explain spans name each field with its canonical bytes")
    func spansDescribeFields() throws {
        let body = #"{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}],"temperature":1.0}"#
        let material = KeyMaterial.chat(namespace: namespace, generation: 0, fields: try fields(body))
        #expect(material.spans.map(\.field) == [.tenant, .namespace, .generation, .provider, .model, .messages, .temperature])
        let messages = material.spans.first { $0.field == .messages }!
        #expect(String(decoding: material.value(of: messages), as: UTF8.self) == #"[{"content":"x","role":"user"}]"#)
        let temperature = material.spans.first { $0.field == .temperature }!
        #expect(String(decoding: material.value(of: temperature), as: UTF8.self) == "1")
    }

    @Test("a key's hex form round-trips")
    func hexRoundTrip() {
        let key = CacheKey(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210)
        #expect(key.hex == "0123456789abcdeffedcba9876543210")
        #expect(CacheKey(hex: key.hex) == key)
        #expect(CacheKey(hex: "xyz") == nil)
    }
}
