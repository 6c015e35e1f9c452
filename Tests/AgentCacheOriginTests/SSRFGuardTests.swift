import AgentCacheCore
import AgentCacheOrigin
import Testing

@Suite struct SSRFGuardTests {
    @Test func refusesLoopbackPrivateLinkLocalCGNATUniqueLocalAndMulticast() {
        let refused: [[UInt8]] = [
            [127, 0, 0, 1], [10, 1, 2, 3], [172, 16, 0, 1], [172, 31, 255, 255], [192, 168, 1, 1],
            [169, 254, 169, 254], [100, 64, 0, 1], [0, 0, 0, 0], [224, 0, 0, 1], [255, 255, 255, 255],
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],  // ::1
            [0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],  // fd00::1
            [0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],  // fe80::1
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 169, 254, 169, 254],  // ::ffff:169.254.169.254
        ]
        for address in refused { #expect(SSRFGuard.isForbidden(address), "\(address)") }
        let allowed: [[UInt8]] = [[8, 8, 8, 8], [172, 32, 0, 1], [100, 128, 0, 1], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]]
        for address in allowed { #expect(!SSRFGuard.isForbidden(address), "\(address)") }
    }

    @Test func refusesHostsNotAllowListed() async throws {
        let guardrail = SSRFGuard(explicitHosts: ["cdn.example"], endpointHost: nil)
        await #expect(throws: CacheError.self) { try await guardrail.check(try OriginURL(absolute: "http://evil.example/x")) }
    }

    @Test func refusesAnAllowedHostResolvingToLoopbackUnlessExplicit() async throws {
        let implicit = SSRFGuard(explicitHosts: [], endpointHost: "localhost")
        await #expect(throws: CacheError.self) { try await implicit.check(try OriginURL(absolute: "http://localhost:9/x")) }
        let metadata = SSRFGuard(explicitHosts: [], endpointHost: "169.254.169.254")
        await #expect(throws: CacheError.self) { try await metadata.check(try OriginURL(absolute: "http://169.254.169.254/latest/meta-data/")) }
        let explicit = SSRFGuard(explicitHosts: ["localhost"], endpointHost: nil)
        try await explicit.check(try OriginURL(absolute: "http://localhost:9/x"))
    }
}
