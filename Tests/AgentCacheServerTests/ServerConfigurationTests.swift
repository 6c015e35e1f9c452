import AgentCacheServer
import Testing

/// `ServerConfiguration.problem`: the startup decisions `agentcache serve` reports as one line.
@Suite struct ServerConfigurationTests {
    static func problem(host: String = "127.0.0.1", adminToken: String? = nil, allowOpen: Bool = false) -> String? {
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.adminToken = adminToken
        configuration.allowOpen = allowOpen
        return configuration.problem
    }

    @Test("--host 127.evil.example is a name, not loopback: open mode is refused on it")
    func loopbackIsDecidedFromTheParsedAddress() {
        let refusal = Self.problem(host: "127.evil.example")
        #expect(refusal?.hasPrefix("refusing to serve 127.evil.example without API keys") == true, "\(refusal ?? "nil")")
        for host in ["127.0.0.1", "127.1.2.3", "127.255.255.254", "::1", "0:0:0:0:0:0:0:1", "localhost"] {
            #expect(ServerConfiguration.isLoopback(host), "\(host)")
            #expect(Self.problem(host: host) == nil, "\(host)")
        }
        for host in [
            "127.evil.example", "127.0.0.1.nip.io", "127.1", "0.0.0.0", "::", "[::1]", "::ffff:127.0.0.1", "10.0.0.1",
            "128.0.0.1", "localhost.evil.example", "example.com", "::2",
        ] {
            #expect(!ServerConfiguration.isLoopback(host), "\(host)")
            #expect(Self.problem(host: host) != nil, "\(host)")
            #expect(Self.problem(host: host, allowOpen: true) == nil, "--allow-open: \(host)")
            #expect(Self.problem(host: host, adminToken: "0123456789abcdef") == nil, "keys on: \(host)")
        }
    }

    @Test("an admin token of spaces, or one that could never match a header, is refused")
    func adminTokensThatCanNeverMatchAreRefused() {
        #expect(Self.problem(adminToken: String(repeating: " ", count: 16)) == "--admin-token is empty or only spaces")
        #expect(Self.problem(adminToken: " \t  \t") == "--admin-token is empty or only spaces")
        #expect(Self.problem(adminToken: "") == "--admin-token is empty or only spaces")
        for token in ["  0123456789abcdef", "0123456789abcdef\t", "0123456789abcdef\n", "01234567\r\n89abcdef"] {
            #expect(Self.problem(adminToken: token)?.hasPrefix("--admin-token must not have spaces or tabs around it") == true, "\(token.debugDescription)")
        }
        #expect(Self.problem(adminToken: "       short       ")?.hasPrefix("--admin-token must") == true)
        #expect(Self.problem(adminToken: "0123456789abcde") == "--admin-token must be at least 16 characters (it guards key provisioning)")
        #expect(Self.problem(adminToken: "0123456789abcdef") == nil)
        #expect(Self.problem(adminToken: "a token with inner spaces") == nil, "inner spaces reach the server intact")
    }

    @Test func badOriginAllowHostEntriesAreOneLineFlagErrors() {
        var configuration = ServerConfiguration()
        configuration.origin.allowHosts = ["cdn.example", "http://cdn.example"]
        #expect(configuration.problem == "--origin-allow-host: 'http://cdn.example' is not host[:port] (an IPv6 address in brackets, a port in 1...65535)")
        configuration.origin.allowHosts = ["cdn.example", "127.0.0.1:9000", "[::1]:8080"]
        #expect(configuration.problem == nil)
    }
}
