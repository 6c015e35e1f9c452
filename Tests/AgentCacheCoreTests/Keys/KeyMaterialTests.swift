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

    /// Keys computed by main before issue 11 (its explain route), for bodies with nothing beyond
    /// provider, model, messages, temperature, namespace and params: the published client's
    /// bodies keep their keys, so entries stored before the change are still found.
    static let pinnedKeys: [(namespace: String, body: String, key: String)] = [
        (
            "default",
            #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":0.7}"#,
            "652704462381cb176c6d0859d083b220"
        ),
        (
            "jt_customer_42",
            #"{"provider":"jettythunder","model":"file-delivery","messages":[{"role":"system","content":"file:abc123"}],"namespace":"jt_customer_42"}"#,
            "cb8ac19c35c4ab8a17bfaaa5d936d710"
        ),
        (
            "support-bot",
            #"{"namespace":"support-bot","provider":"openai","model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a concise support assistant."},{"role":"user","content":[{"type":"text","text":"hello"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}],"temperature":0.2,"params":{"max_tokens":512,"top_p":1,"seed":12345678901234567000,"logit_bias":{"50256":-100},"stop":["\n\nUser:"],"x":1e21,"y":1.5e-7}}"#,
            "4f05c7095187bcbdf7b4a2f2b6f7fa15"
        ),
    ]

    @Test("the published client's bodies keep the keys they had before top-level members and exact numbers")
    func publishedClientKeysUnchanged() throws {
        for pinned in Self.pinnedKeys {
            let namespace = CacheNamespace(tenant: "default", name: pinned.namespace)
            #expect(try key(pinned.body, namespace: namespace).hex == pinned.key, "\(pinned.body)")
        }
    }

    static let toolsBase = #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"hi"}]"#

    @Test("top-level generation parameters are key material: tools, max_tokens, response_format")
    func topLevelMembersAreKeyMaterial() throws {
        let weather = try key(Self.toolsBase + #","tools":[{"type":"function","function":{"name":"get_weather"}}]}"#)
        let news = try key(Self.toolsBase + #","tools":[{"type":"function","function":{"name":"get_news"}}]}"#)
        #expect(weather != news)
        #expect(try key(Self.toolsBase + #","max_tokens":5}"#) != key(Self.toolsBase + #","max_tokens":4000}"#))
        #expect(try key(Self.toolsBase + #","response_format":{"type":"json_object"}}"#) != key(Self.toolsBase + "}"))
        #expect(try key(Self.toolsBase + #","tools":[]}"#) != key(Self.toolsBase + "}"))
        #expect(try key(Self.toolsBase + #","max_tokens":null}"#) != key(Self.toolsBase + "}"))
    }

    @Test("a generation parameter at the top level and in params is one key; control members are no key material")
    func topLevelAndParamsAreOneKey() throws {
        #expect(try key(Self.toolsBase + #","max_tokens":5}"#) == key(Self.toolsBase + #","params":{"max_tokens":5}}"#))
        #expect(try key(Self.toolsBase + #","max_tokens":5,"params":{"top_p":1}}"#) == key(Self.toolsBase + #","params":{"top_p":1,"max_tokens":5}}"#))
        #expect(try key(Self.toolsBase + #","max_tokens":5,"params":{"max_tokens":5.0}}"#) == key(Self.toolsBase + #","params":{"max_tokens":5}}"#))
        #expect(try key(Self.toolsBase + #","params":{"temperature":0.5}}"#) == key(Self.toolsBase + #","temperature":0.5}"#))
        #expect(try key(Self.toolsBase + #","temperature":0.5,"params":{"temperature":0.50}}"#) == key(Self.toolsBase + #","temperature":0.5}"#))
        #expect(try key(Self.toolsBase + #","params":{"model":"gpt-4o"}}"#) == key(Self.toolsBase + "}"))
        let plain = try key(Self.toolsBase + "}")
        for control in [#""stream":true"#, #""stream":false"#, #""cache":{"tokens":12}"#, #""tags":["doc:42"]"#, #""ttl":5"#, #""response":{"a":1}"#, #""namespace":"default""#] {
            #expect(try key(Self.toolsBase + "," + control + "}") == plain, "\(control)")
        }
    }

    @Test("explain spans show merged generation parameters in params")
    func spansShowMergedParams() throws {
        let body = Self.toolsBase + #","tools":[{"type":"function","function":{"name":"get_weather"}}],"max_tokens":5,"stream":true,"params":{"seed":9007199254740993}}"#
        let material = KeyMaterial.chat(namespace: namespace, generation: 0, fields: try fields(body))
        let params = try #require(material.spans.first { $0.field == .params })
        #expect(String(decoding: material.value(of: params), as: UTF8.self)
            == #"{"max_tokens":5,"seed":9007199254740993,"tools":[{"function":{"name":"get_weather"},"type":"function"}]}"#)
    }

    @Test("seeds beyond 2^53 and 20-digit integers are different keys")
    func exactNumbersInKeys() throws {
        #expect(try key(Self.toolsBase + #","params":{"seed":9007199254740993}}"#) != key(Self.toolsBase + #","params":{"seed":9007199254740992}}"#))
        #expect(try key(Self.toolsBase + #","params":{"seed":12345678901234567890}}"#) != key(Self.toolsBase + #","params":{"seed":12345678901234567891}}"#))
        #expect(try key(Self.toolsBase + #","temperature":0.30000000000000001}"#) != key(Self.toolsBase + #","temperature":0.3}"#))
    }

    @Test("every member of a message is key material: name, tool_call_id, tool_calls, image parts, null content")
    func messageMembersAreKeyMaterial() throws {
        let variants = [
            #"[{"role":"user","content":"hi"}]"#,
            #"[{"role":"user","content":"hi","name":"alice"}]"#,
            #"[{"role":"user","content":"hi","name":"bob"}]"#,
            #"[{"role":"tool","content":"hi","tool_call_id":"call_1"}]"#,
            #"[{"role":"tool","content":"hi","tool_call_id":"call_2"}]"#,
            #"[{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]}]"#,
            #"[{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"g","arguments":"{}"}}]}]"#,
            #"[{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]}]"#,
            #"[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"https://a/1.png"}}]}]"#,
            #"[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"https://a/2.png"}}]}]"#,
            #"[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"https://a/1.png","detail":"low"}}]}]"#,
        ]
        var seen: Set<CacheKey> = []
        for messages in variants {
            let variantKey = try key(#"{"provider":"openai","model":"gpt-4o","messages":"# + messages + "}")
            #expect(seen.insert(variantKey).inserted, "\(messages) collided")
        }
    }

    @Test("a key's hex form round-trips")
    func hexRoundTrip() {
        let key = CacheKey(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210)
        #expect(key.hex == "0123456789abcdeffedcba9876543210")
        #expect(CacheKey(hex: key.hex) == key)
        #expect(CacheKey(hex: "xyz") == nil)
    }
}
