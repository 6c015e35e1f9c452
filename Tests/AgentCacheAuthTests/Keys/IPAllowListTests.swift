import AgentCacheAuth
import AgentCacheCore
import Testing

@Suite("IPAllowList")
struct IPAllowListTests {
    @Test("exact IPv4, CIDR v4 and v6 entries match what they cover and nothing else")
    func matching() throws {
        let list = try IPAllowList(["203.0.113.7", "10.0.0.0/8", "2001:db8::/32"])
        #expect(list.allows("203.0.113.7"))
        #expect(!list.allows("203.0.113.8"))
        #expect(list.allows("10.255.1.2"))
        #expect(!list.allows("11.0.0.1"))
        #expect(list.allows("2001:db8:1::5"))
        #expect(!list.allows("2001:db9::1"))
        #expect(list.allows("::ffff:10.1.2.3"))
        #expect(!list.allows("not an ip"))
    }

    @Test("an empty list allows everyone; malformed entries are refused")
    func emptyAndMalformed() throws {
        #expect(try IPAllowList([]).allows("192.0.2.1"))
        #expect(throws: CacheError.self) { try IPAllowList(["300.1.1.1"]) }
        #expect(throws: CacheError.self) { try IPAllowList(["10.0.0.0/33"]) }
        #expect(throws: CacheError.self) { try IPAllowList(["example.com"]) }
    }
}
