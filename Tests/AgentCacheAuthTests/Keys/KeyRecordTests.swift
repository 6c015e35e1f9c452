import AgentCacheAuth
import AgentCacheCore
import Testing

@Suite("KeyRecord")
struct KeyRecordTests {
    @Test("a record survives its string-map form, optionals included")
    func fieldsRoundTrip() throws {
        let record = KeyRecord(
            digest: "d", account: "a", integration: "acme", namespace: "acme_p", environment: "production",
            userID: "u", projectID: "p", tier: .pro, sector: "ai", useCase: nil, scopes: [.cacheRead, .statsRead],
            allowedIPs: try IPAllowList(["10.0.0.0/8"]), createdAtMillis: 5, expiresAtMillis: 9, retiresAtMillis: 7
        )
        #expect(KeyRecord(fields: record.fields) == record)
        var damaged = record.fields
        damaged["tier"] = "gold"
        #expect(KeyRecord(fields: damaged) == nil)
    }

    @Test("status reflects revocation, rotation grace and expiry")
    func status() throws {
        var record = KeyRecord(
            digest: "d", account: "a", integration: "x", namespace: "x_p", environment: "production",
            userID: "u", projectID: "p", tier: .free, allowedIPs: try IPAllowList([]), createdAtMillis: 0, expiresAtMillis: 100
        )
        #expect(record.status(at: 50) == "active")
        #expect(record.status(at: 100) == "expired")
        record.retiresAtMillis = 80
        #expect(record.status(at: 90) == "rotated")
        record.revokedAtMillis = 10
        #expect(record.status(at: 20) == "revoked")
    }
}
