import AgentCacheOrigin
import Testing

@Suite struct ByteRangeTests {
    @Test func resolvesClosedOpenAndSuffixRanges() {
        #expect(ByteRange.resolve("bytes=0-9", length: 100) == .partial(0...9))
        #expect(ByteRange.resolve("bytes=90-", length: 100) == .partial(90...99))
        #expect(ByteRange.resolve("bytes=-5", length: 100) == .partial(95...99))
        #expect(ByteRange.resolve("bytes=95-500", length: 100) == .partial(95...99))
        #expect(ByteRange.resolve("bytes=-500", length: 100) == .partial(0...99))
    }

    @Test func startPastTheEndIsUnsatisfiable() {
        #expect(ByteRange.resolve("bytes=100-", length: 100) == .unsatisfiable)
        #expect(ByteRange.resolve("bytes=-0", length: 100) == .unsatisfiable)
    }

    @Test func malformedOrMultipleRangesServeTheWholeBody() {
        for header in [nil, "bytes=5-1", "items=0-1", "bytes=0-1,3-4", "bytes=x-"] {
            #expect(ByteRange.resolve(header, length: 100) == .full, "\(String(describing: header))")
        }
    }
}
