import AgentCacheCore
import AgentCacheOrigin
import Testing

@Suite struct SSRFGuardTests {
    static func guardrail(_ entries: [String], endpoint: String? = nil) throws -> SSRFGuard {
        SSRFGuard(allowedHosts: try entries.map { try AllowedHost(parsing: $0) }, endpoint: try endpoint.map { try OriginURL(absolute: $0) })
    }

    static func allows(_ guardrail: SSRFGuard, _ url: String) throws -> Bool {
        let url = try OriginURL(absolute: url)
        do {
            try guardrail.check(url)
            return true
        } catch {
            #expect(error.code == .invalidRequest)
            return false
        }
    }

    @Test("--origin-allow-host 127.0.0.1 allows ports 80/443 only: http://127.0.0.1:6379/ is refused")
    func anEntryWithoutAPortMatchesTheSchemesDefaultPortOnly() throws {
        let guardrail = try Self.guardrail(["127.0.0.1"])
        #expect(try !Self.allows(guardrail, "http://127.0.0.1:6379/"))
        #expect(try Self.allows(guardrail, "http://127.0.0.1/bucket/key"))
        #expect(try Self.allows(guardrail, "http://127.0.0.1:80/bucket/key"))
        #expect(try Self.allows(guardrail, "https://127.0.0.1/bucket/key"))
        #expect(try !Self.allows(guardrail, "https://127.0.0.1:80/"), "80 is not https's default port")
        #expect(try !Self.allows(guardrail, "http://127.0.0.1:443/"), "443 is not http's default port")
        #expect(try !Self.allows(guardrail, "http://localhost/"), "hosts compare as written, not resolved")
    }

    @Test func anEntryWithAPortMatchesThatPortOnly() throws {
        let guardrail = try Self.guardrail(["127.0.0.1:9000", "CDN.example:443", "[::1]:8080"])
        #expect(try Self.allows(guardrail, "http://127.0.0.1:9000/b/k"))
        #expect(try Self.allows(guardrail, "https://127.0.0.1:9000/b/k"))
        #expect(try !Self.allows(guardrail, "http://127.0.0.1/b/k"))
        #expect(try !Self.allows(guardrail, "http://127.0.0.1:9001/b/k"))
        #expect(try Self.allows(guardrail, "https://cdn.example/x"))
        #expect(try Self.allows(guardrail, "http://cdn.example:443/x"))
        #expect(try !Self.allows(guardrail, "http://cdn.example/x"))
        #expect(try Self.allows(guardrail, "http://[::1]:8080/x"))
        #expect(try !Self.allows(guardrail, "http://[::1]/x"))
    }

    @Test("the endpoint is trusted on any address, on its scheme, host and port only")
    func theEndpointIsTrustedOnItsOriginOnly() throws {
        for endpoint in ["http://127.0.0.1:9000", "http://10.0.0.5:9000", "http://169.254.169.254"] {
            let guardrail = try Self.guardrail([], endpoint: endpoint)
            #expect(try Self.allows(guardrail, "\(endpoint)/bucket/key"), "\(endpoint)")
        }
        let guardrail = try Self.guardrail([], endpoint: "http://127.0.0.1:9000/prefix")
        #expect(try Self.allows(guardrail, "http://127.0.0.1:9000/prefix/bucket/key"))
        #expect(try !Self.allows(guardrail, "http://127.0.0.1:6379/"), "another port of the endpoint's host")
        #expect(try !Self.allows(guardrail, "https://127.0.0.1:9000/bucket/key"), "another scheme")
        #expect(try !Self.allows(guardrail, "http://localhost:9000/bucket/key"), "another spelling of the host")
    }

    @Test func everythingElseIsRefused() throws {
        let guardrail = try Self.guardrail(["cdn.example"], endpoint: "https://s3.example")
        for url in [
            "http://evil.example/x", "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1/", "http://[::1]/",
            "http://localhost/", "http://cdn.example.evil.example/", "http://s3.example/x",
        ] {
            #expect(try !Self.allows(guardrail, url), "\(url)")
        }
    }

    @Test func entriesAreHostAndOptionalPort() throws {
        let cdn = try AllowedHost(parsing: "CDN.Example")
        #expect(cdn.host == "cdn.example" && cdn.port == nil)
        let minio = try AllowedHost(parsing: "10.0.0.5:9000")
        #expect(minio.host == "10.0.0.5" && minio.port == 9000)
        let v6 = try AllowedHost(parsing: "[::1]:8080")
        #expect(v6.host == "[::1]" && v6.port == 8080)
        #expect(try AllowedHost(parsing: "cdn.example:80").port == 80, "an explicit port stays: it means that port only")
        for bad in [
            "", "http://cdn.example", "cdn.example/path", "user@cdn.example", "::1", "[::1", "[cdn.example]", "cdn.example:0",
            "cdn.example:65536", "cdn.example:+80", "cdn.example:http", "cdn example", "*.cdn.example",
        ] {
            #expect(throws: CacheError.self, "\(bad)") { try AllowedHost(parsing: bad) }
        }
    }
}
