import AgentCacheAuth
import AgentCacheCore
import Testing

@Suite("APIKey: format, checksum, digest")
struct APIKeyTests {
    @Test("a generated key is ac_<integration>_<40 hex> and parses back")
    func roundTrip() throws {
        let key = APIKey.generate(integration: "jettythunder")
        #expect(key.text.wholeMatch(of: #/ac_jettythunder_[0-9a-f]{40}/#) != nil)
        #expect(try APIKey.parse(key.text) == key)
        #expect(key.description == "ac_jettythunder_<redacted>")
    }

    @Test("integrations with underscores split at the last underscore")
    func underscoreIntegration() throws {
        let key = APIKey.generate(integration: "my_cool_app")
        #expect(try APIKey.parse(key.text).integration == "my_cool_app")
    }

    @Test("every single-character change is caught by the format or the checksum")
    func everyTypoRejected() throws {
        let key = APIKey.generate(integration: "acme").text
        let characters = Array(key)
        for index in characters.indices {
            var changed = characters
            changed[index] = changed[index] == "a" ? "b" : "a"
            #expect(throws: CacheError.self) { try APIKey.parse(String(changed)) }
        }
        #expect(throws: CacheError.self) { try APIKey.parse(String(key.dropLast())) }
        #expect(throws: CacheError.self) { try APIKey.parse(key.uppercased()) }
    }

    @Test("two generated keys differ, and the digest is SHA-256 hex of the text")
    func randomnessAndDigest() {
        let one = APIKey.generate(integration: "acme")
        let two = APIKey.generate(integration: "acme")
        #expect(one != two)
        #expect(one.digest.count == 64)
        #expect(APIKey.digest(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("integration names are lowercased to [a-z0-9_], non-empty and at most 32 characters")
    func sanitizeIntegration() throws {
        #expect(try APIKey.sanitizeIntegration("My-App 2") == "my_app_2")
        #expect(throws: CacheError.self) { try APIKey.sanitizeIntegration("") }
        #expect(throws: CacheError.self) { try APIKey.sanitizeIntegration(String(repeating: "a", count: 33)) }
    }

    @Test("the admin token compares equal only to itself")
    func adminToken() {
        #expect(AdminToken.matches("secret-token-1234", expected: "secret-token-1234"))
        #expect(!AdminToken.matches("secret-token-1235", expected: "secret-token-1234"))
        #expect(!AdminToken.matches("", expected: "secret-token-1234"))
    }
}
