import AgentCacheCore
import Testing

@Suite("Lookup memo")
struct LookupMemoTests {
    static func fingerprint(_ tenant: String, _ header: String?, _ body: String) -> CacheKey {
        Array(body.utf8).withUnsafeBytes { LookupMemo.fingerprint(tenant: tenant, headerNamespace: header, body: $0) }
    }

    @Test("fingerprints differ by tenant, namespace header (absent vs empty) and body, and frame their parts")
    func fingerprintsSeparateTheirInputs() {
        let body = #"{"provider":"openai"}"#
        let all = [
            Self.fingerprint("a", nil, body),
            Self.fingerprint("b", nil, body),
            Self.fingerprint("a", "", body),
            Self.fingerprint("a", "n", body),
            Self.fingerprint("a", nil, body + " "),
            // Framing: moving bytes between tenant and header changes the fingerprint.
            Self.fingerprint("ab", "c", body),
            Self.fingerprint("a", "bc", body),
        ]
        #expect(Set(all).count == all.count)
        #expect(Self.fingerprint("a", "n", body) == Self.fingerprint("a", "n", body))
    }

    @Test("an entry is returned for its fingerprint only, and a full stripe starts over")
    func entriesAreBounded() throws {
        let memo = LookupMemo(capacity: 4, stripeCount: 1)
        let namespace = try CacheNamespace(tenant: "t", clientNamespace: "n")
        let first = Self.fingerprint("t", nil, "1")
        memo.remember(.init(namespace: namespace, generation: 3, key: CacheKey(high: 1, low: 2)), for: first)
        #expect(memo.entry(for: first)?.key == CacheKey(high: 1, low: 2))
        #expect(memo.entry(for: first)?.generation == 3)
        #expect(memo.entry(for: Self.fingerprint("t", nil, "2")) == nil)
        for index in 2...5 {
            memo.remember(.init(namespace: namespace, generation: 0, key: CacheKey(high: 0, low: UInt64(index))), for: Self.fingerprint("t", nil, "\(index)"))
        }
        // The fifth entry overflowed the stripe of four: it started over.
        #expect(memo.entry(for: first) == nil)
        #expect(memo.entry(for: Self.fingerprint("t", nil, "5")) != nil)
    }
}
