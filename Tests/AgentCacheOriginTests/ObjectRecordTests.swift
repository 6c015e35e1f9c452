import AgentCacheOrigin
import Testing

@Suite struct ObjectRecordTests {
    @Test func roundTripsHeadBodyAndTimes() throws {
        let record = ObjectRecord(
            kind: .object, fetchedAtMillis: 1_000, freshUntilMillis: 61_000,
            head: ObjectHead(contentType: "video/mp4", etag: "\"abc\"", lastModified: nil), body: Array(0...255)
        )
        let decoded = try #require(ObjectRecord(decoding: record.encoded()))
        #expect(decoded == record)
        #expect(decoded.head.contentLength == 256)
        #expect(decoded.isFresh(at: 60_999) && !decoded.isFresh(at: 61_000))
    }

    @Test func rejectsBytesThatAreNotARecord() {
        #expect(ObjectRecord(decoding: Array("{\"hit\":true}".utf8)) == nil)
        #expect(ObjectRecord(decoding: Array(ObjectRecord(kind: .notFound, fetchedAtMillis: 0, freshUntilMillis: 1, head: .init(), body: []).encoded().prefix(10))) == nil)
    }
}
