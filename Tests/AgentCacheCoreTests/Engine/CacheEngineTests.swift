import Testing
@testable import AgentCacheCore

@Suite("Cache engine")
struct CacheEngineTests {
    let namespace = CacheNamespace(tenant: "default", name: "default")
    let fields = ChatKeyFields(
        provider: "openai",
        model: "gpt-4o",
        messages: .array([.object([JSONMember(key: "role", value: .string("user")), JSONMember(key: "content", value: .string("hi"))])])
    )

    func makeEngine(clock: ManualClock = ManualClock()) -> CacheEngine {
        CacheEngine(edge: EdgeCache(), clock: clock)
    }

    @Test("a stored value comes back byte for byte from the edge tier")
    func storeThenLookup() async throws {
        let engine = makeEngine()
        let value = Array(#"{"text":"hello","n":[1,2,3]}"#.utf8)
        let stored = try await engine.store(value, for: fields, in: namespace, ttlSeconds: 60)
        let (key, hit) = try await engine.lookup(fields, in: namespace).get()
        #expect(key == stored.key)
        #expect(hit?.value == value)
        #expect(hit?.tier == .edge)
    }

    @Test("the default TTL applies when none is given, and long TTLs are clamped to the maximum")
    func ttlDefaultAndClamp() async throws {
        let engine = CacheEngine(edge: EdgeCache(), clock: ManualClock(), configuration: .init(defaultTTLSeconds: 604_800, maxTTLSeconds: 1000))
        let defaulted = try await engine.store([0x31], for: fields, in: namespace, ttlSeconds: nil)
        #expect(defaulted.ttlSeconds == 1000)
        let engine2 = makeEngine()
        let plain = try await engine2.store([0x31], for: fields, in: namespace, ttlSeconds: nil)
        #expect(plain.ttlSeconds == 604_800)
        #expect(plain.entry.expiresAtMillis - plain.entry.createdAtMillis == 604_800_000)
    }

    @Test("an entry is missed once its TTL has passed")
    func expiry() async throws {
        let clock = ManualClock()
        let engine = makeEngine(clock: clock)
        _ = try await engine.store([0x31], for: fields, in: namespace, ttlSeconds: 10)
        clock.advance(by: 9_999)
        #expect(try await engine.lookup(fields, in: namespace).get().hit != nil)
        clock.advance(by: 1)
        #expect(try await engine.lookup(fields, in: namespace).get().hit == nil)
        #expect(try await engine.check(fields, in: namespace).entry == nil)
    }

    @Test("invalidating a namespace misses its entries and leaves others alone")
    func invalidation() async throws {
        let engine = makeEngine()
        let other = CacheNamespace(tenant: "default", name: "other")
        _ = try await engine.store([0x31], for: fields, in: namespace, ttlSeconds: 60)
        _ = try await engine.store([0x32], for: fields, in: other, ttlSeconds: 60)
        #expect(try await engine.invalidate(namespace) == 1)
        #expect(try await engine.lookup(fields, in: namespace).get().hit == nil)
        #expect(try await engine.lookup(fields, in: other).get().hit?.value == [0x32])
        #expect(try await engine.invalidate(namespace) == 2)
    }

    @Test("deleting one entry removes only it")
    func deleteOne() async throws {
        let engine = makeEngine()
        var otherFields = fields
        otherFields.model = "gpt-4o-mini"
        _ = try await engine.store([0x31], for: fields, in: namespace, ttlSeconds: 60)
        _ = try await engine.store([0x32], for: otherFields, in: namespace, ttlSeconds: 60)
        #expect(try await engine.delete(fields, in: namespace).removed)
        #expect(try await engine.lookup(fields, in: namespace).get().hit == nil)
        #expect(try await engine.lookup(otherFields, in: namespace).get().hit != nil)
    }

    @Test("check reports without counting a hit")
    func checkDoesNotCount() async throws {
        let engine = makeEngine()
        _ = try await engine.store([0x31], for: fields, in: namespace, ttlSeconds: 60)
        let checked = try await engine.check(fields, in: namespace)
        #expect(checked.entry != nil)
        #expect(engine.edge.statistics().hits == 0)
    }
}
