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

    /// Found by scripts/fuzz (object-record), minimised: a record whose last-modified field is the
    /// single byte 0xFF. Decoding used to repair it to U+FFFD, so the cached record no longer
    /// matched its bytes and changed headers would be served; it must be refused (a miss).
    @Test func rejectsAHeaderFieldThatIsNotUTF8() {
        let fuzzed: [UInt8] = [
            0x41, 0x43, 0x4F, 0x42, 0x01, 0x00, 0x4F, 0x70, 0x74, 0x69, 0x01, 0x00, 0xFF, 0xFF, 0x7D,
            0xFF, 0x7D, 0x7D, 0x7D, 0xFF, 0x7D, 0x7D, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0xFF,
        ]
        #expect(ObjectRecord(decoding: fuzzed) == nil)
    }

    @Test("each header field is validated: overlong, surrogate and truncated UTF-8 are refused", arguments: 0..<3)
    func validatesEveryHeaderField(field: Int) {
        for invalid: [UInt8] in [[0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0x80]] {
            var bytes = Array("ACOB".utf8) + [1, 0] + [UInt8](repeating: 0, count: 16)
            for position in 0..<3 {
                let value: [UInt8] = position == field ? invalid : Array("ok".utf8)
                bytes += [UInt8(value.count), 0] + value
            }
            bytes += Array("body".utf8)
            #expect(ObjectRecord(decoding: bytes) == nil, "field \(field): \(invalid)")
        }
    }

    @Test func acceptsExactlyWhatItEncodes() throws {
        let record = ObjectRecord(
            kind: .object, fetchedAtMillis: -5, freshUntilMillis: .max,
            head: ObjectHead(contentType: "text/plain; charset=utf-8", etag: "W/\"é€😀\"", lastModified: ""), body: Array("é".utf8)
        )
        let bytes = record.encoded()
        let decoded = try #require(ObjectRecord(decoding: bytes))
        #expect(decoded == record)
        #expect(decoded.encoded() == bytes)
    }
}
