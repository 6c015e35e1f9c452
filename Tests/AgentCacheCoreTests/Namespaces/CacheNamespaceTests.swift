import Testing
@testable import AgentCacheCore

@Suite("Namespace sanitising and generations")
struct CacheNamespaceTests {
    @Test("the seed's example: jt_customer_<script> becomes jt_customer__script_")
    func seedExample() throws {
        #expect(try CacheNamespace.sanitize("jt_customer_<script>") == "jt_customer__script_")
    }

    @Test("allowed characters pass through unchanged")
    func allowedCharactersPass() throws {
        #expect(try CacheNamespace.sanitize("Azaz09_-") == "Azaz09_-")
    }

    @Test("each UTF-16 code unit outside the set becomes one underscore, as JavaScript's replace does")
    func nonASCIIFollowsJavaScript() throws {
        #expect(try CacheNamespace.sanitize("café") == "caf_")
        #expect(try CacheNamespace.sanitize("a😀b") == "a__b")
        #expect(try CacheNamespace.sanitize("a b/c.d") == "a_b_c_d")
    }

    @Test("empty or absent namespace is default")
    func emptyIsDefault() throws {
        #expect(try CacheNamespace.sanitize("") == "default")
        #expect(try CacheNamespace.sanitize(nil) == "default")
    }

    @Test("64 characters are accepted, 65 are an INVALID_REQUEST")
    func lengthLimit() throws {
        #expect(try CacheNamespace.sanitize(String(repeating: "a", count: 64)).count == 64)
        #expect(throws: CacheError.self) { try CacheNamespace.sanitize(String(repeating: "a", count: 65)) }
        do {
            _ = try CacheNamespace.sanitize(String(repeating: "a", count: 65))
        } catch {
            #expect(error.code == .invalidRequest)
        }
    }

    @Test("the qualified name is tenant/name")
    func qualifiedName() throws {
        let namespace = try CacheNamespace(tenant: "jettythunder_production", clientNamespace: "jt_customer_42")
        #expect(namespace.qualified == "jettythunder_production/jt_customer_42")
    }

    @Test("in process, generations start at 0 and advance by one")
    func generations() {
        let generations = NamespaceGenerations()
        let namespace = CacheNamespace(tenant: "t", name: "n")
        #expect(generations.current(namespace) == 0)
        #expect(generations.known(namespace.qualified) == nil)
        #expect(generations.advanceNow(namespace) == 1)
        #expect(generations.advanceNow(namespace) == 2)
        #expect(generations.known(namespace.qualified) == 2)
        #expect(generations.current(CacheNamespace(tenant: "t", name: "other")) == 0)
    }

    @Test("an answer read before a change is not taken over it; setting the value held changes nothing")
    func conditionalSet() {
        let generations = NamespaceGenerations()
        let name = "t/n"
        #expect(generations.changes(of: name) == 0)
        let before = generations.changes(of: name)
        #expect(generations.set(name, to: 7_000_000_001) == false, "not held before")
        #expect(!generations.set(name, to: 42, ifUnchangedSince: before), "a broadcast arrived while the read was on its way")
        #expect(generations.known(name) == 7_000_000_001)
        let now = generations.changes(of: name)
        #expect(generations.set(name, to: 7_000_000_001) == false, "the same value is no change")
        #expect(generations.changes(of: name) == now)
        #expect(generations.set(name, to: 42, ifUnchangedSince: now))
        #expect(generations.known(name) == 42)
        #expect(generations.changes(of: name) == now + 1)
    }
}
