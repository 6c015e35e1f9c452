import AgentCacheAuth
import AgentCacheCore
import Testing

@Suite("Plan limits and --tier-limit overrides")
struct PlanLimitsTests {
    @Test("the standard plans are SPEC §5's tiers")
    func standardIsTheSpec() {
        let plans = PlanLimits.standard
        #expect(plans[.free] == PlanTier.free.limits)
        #expect(plans[.enterprise].requestsPerSecond == 500)
        #expect(plans[.enterprise].concurrentRequests == 100)
    }

    @Test("an override changes only the fields it names, and none lifts a limit")
    func overrideChangesNamedFields() throws {
        var plans = PlanLimits.standard
        try plans.apply("enterprise:rps=20000,concurrent=none")
        try plans.apply("free:namespaces=3,max-ttl=60,monthly=50")
        #expect(plans[.enterprise].requestsPerSecond == 20_000)
        #expect(plans[.enterprise].concurrentRequests == nil)
        #expect(plans[.enterprise].monthlyRequests == PlanTier.enterprise.limits.monthlyRequests)
        #expect(plans[.free].maxNamespaces == 3)
        #expect(plans[.free].maxTTLSeconds == 60)
        #expect(plans[.free].monthlyRequests == 50)
        #expect(plans[.free].requestsPerSecond == 10)
        #expect(plans[.pro] == PlanTier.pro.limits)
    }

    @Test("a malformed override is refused with a one-line reason", arguments: [
        "enterprise", "gold:rps=1", "pro:rps", "pro:rps=0", "pro:rps=none", "pro:speed=3", "pro:concurrent=-1", "pro:rps=2000000",
    ])
    func malformedOverrideIsRefused(_ override: String) {
        var plans = PlanLimits.standard
        #expect(throws: CacheError.self) { try plans.apply(override) }
        #expect(plans == .standard)
    }
}
