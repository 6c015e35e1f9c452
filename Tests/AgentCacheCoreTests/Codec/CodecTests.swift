import Foundation
import Testing
@testable import AgentCacheCore

@Suite("LZ4 values and the entry header")
struct CodecTests {
    /// LLM-style JSON: repetitive enough for LZ4 to pay, like real answers.
    static let answer: [UInt8] = {
        var text = #"{"id":"chatcmpl-1","object":"chat.completion","choices":["#
        for index in 0..<40 {
            text += #"{"index":\#(index),"message":{"role":"assistant","content":"The cache stores the answer so the model is not asked twice."}},"#
        }
        text += #"{"index":99}]}"#
        return Array(text.utf8)
    }()

    @Test("a compressible value is stored LZ4-compressed and decodes to the same bytes")
    func lz4RoundTrip() throws {
        let stored = StoredValue(encoding: Self.answer)
        #expect(stored.encoding == .lz4)
        #expect(stored.bytes.count < Self.answer.count / 2)
        #expect(try stored.decoded() == Self.answer)
    }

    @Test("values under the threshold stay raw")
    func smallValuesStayRaw() throws {
        let small = Array(#"{"text":"hello"}"#.utf8)
        let stored = StoredValue(encoding: small)
        #expect(stored.encoding == .raw)
        #expect(try stored.decoded() == small)
    }

    @Test("incompressible values stay raw")
    func incompressibleValuesStayRaw() throws {
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let stored = StoredValue(encoding: noise)
        #expect(stored.encoding == .raw)
        #expect(try stored.decoded() == noise)
    }

    @Test("a declared length over the ceiling is refused before allocating")
    func declaredLengthIsBounded() {
        let stored = StoredValue(bytes: [0x10, 0x41], encoding: .lz4, rawLength: 1 << 30)
        #expect(throws: CodecError.declaredLengthTooLarge(1 << 30, limit: 1 << 20)) {
            try stored.decoded(maxRawLength: 1 << 20)
        }
    }

    @Test("a corrupt block is an error, not a crash")
    func corruptBlockIsAnError() {
        let good = StoredValue(encoding: Self.answer)
        var mangled = good.bytes
        for index in stride(from: 0, to: mangled.count, by: 7) { mangled[index] ^= 0xFF }
        let corrupt = StoredValue(bytes: mangled, encoding: .lz4, rawLength: good.rawLength)
        #expect(throws: CodecError.self) { try corrupt.decoded() }
        let truncated = StoredValue(bytes: Array(good.bytes.prefix(10)), encoding: .lz4, rawLength: good.rawLength)
        #expect(throws: CodecError.self) { try truncated.decoded() }
    }

    @Test("a block that expands to a different length than declared is corrupt")
    func wrongDeclaredLengthIsAnError() {
        let good = StoredValue(encoding: Self.answer)
        let lying = StoredValue(bytes: good.bytes, encoding: .lz4, rawLength: good.rawLength - 1)
        #expect(throws: CodecError.corrupt) { try lying.decoded() }
    }

    @Test("an entry round-trips through the binary header")
    func entryHeaderRoundTrip() throws {
        for value in [StoredValue(encoding: Self.answer), StoredValue(encoding: Array("x".utf8))] {
            let entry = CacheEntry(value: value, createdAtMillis: 1_700_000_000_123, expiresAtMillis: 1_700_000_060_123)
            let bytes = EntryCodec.encode(entry)
            #expect(bytes.count == EntryCodec.headerLength + value.bytes.count)
            #expect(try EntryCodec.decode(bytes, maxRawLength: 1 << 20).entry == entry)
        }
    }

    @Test("an entry with a cost is written as version 2 and round-trips; one without stays version 1")
    func costRoundTrip() throws {
        let value = StoredValue(encoding: Array(#"{"content":"4"}"#.utf8))
        let cost = AnswerCost(tokens: 13, nanodollars: 62_500)
        let entry = CacheEntry(value: value, createdAtMillis: 1_700_000_000_123, expiresAtMillis: 1_700_000_060_123, cost: cost)
        let bytes = EntryCodec.encode(entry)
        #expect(bytes[2] == 2)
        #expect(bytes.count == EntryCodec.costHeaderLength + value.bytes.count)
        #expect(try EntryCodec.decode(bytes, maxRawLength: 1 << 20).entry == entry)
        var free = entry
        free.cost = .zero
        #expect(EntryCodec.encode(free)[2] == 1)
    }

    @Test("the server's version 3 keeps the entry's key, with and without a cost, and round-trips")
    func keyedRoundTrip() throws {
        let key = CacheKey(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210)
        let value = StoredValue(encoding: Array(#"{"content":"4"}"#.utf8))
        for cost in [AnswerCost.zero, AnswerCost(tokens: 13, nanodollars: 62_500)] {
            let entry = CacheEntry(value: value, createdAtMillis: 1_700_000_000_123, expiresAtMillis: 1_700_000_060_123, cost: cost)
            let bytes = EntryCodec.encode(entry, key: key)
            #expect(bytes[2] == 3)
            #expect(bytes.count == EntryCodec.keyedHeaderLength + (cost.isZero ? 0 : 16) + value.bytes.count)
            let decoded = try EntryCodec.decode(bytes, maxRawLength: 1 << 20)
            #expect(decoded.entry == entry && decoded.key == key)
            var unknownFlag = bytes
            unknownFlag[3] |= 4
            #expect(throws: CodecError.self) { try EntryCodec.decode(unknownFlag, maxRawLength: 1 << 20) }
        }
    }

    @Test("bytes written by the version-1 format before costs existed still decode, with no cost")
    func versionOneStillReads() throws {
        // `AC`, version 1, raw, 15 bytes, created 1764000000000, expires 1764003600000, then the value.
        let header = "414301000f00000000e897b69a01000080d6ceb69a010000"
        let headerBytes = stride(from: 0, to: header.count, by: 2).map { offset in
            UInt8(header.dropFirst(offset).prefix(2), radix: 16)!
        }
        let old = headerBytes + Array(#"{"content":"4"}"#.utf8)
        let (entry, key) = try EntryCodec.decode(old, maxRawLength: 1 << 20)
        #expect(key == nil)
        #expect(entry.cost == .zero)
        #expect(entry.createdAtMillis == 1_764_000_000_000 && entry.expiresAtMillis == 1_764_003_600_000)
        #expect(try entry.value.decoded() == Array(#"{"content":"4"}"#.utf8))
        #expect(EntryCodec.encode(entry) == old)
    }

    @Test("a version-2 header with a zero, negative or truncated cost is rejected")
    func badCostsAreRejected() {
        let entry = CacheEntry(
            value: StoredValue(encoding: Array("hello".utf8)), createdAtMillis: 1, expiresAtMillis: 2, cost: AnswerCost(tokens: 1, nanodollars: 2)
        )
        let good = EntryCodec.encode(entry)
        var zero = good
        for index in 24..<40 { zero[index] = 0 }
        #expect(throws: CodecError.self) { try EntryCodec.decode(zero, maxRawLength: 1 << 20) }
        var negative = good
        negative[31] = 0x80
        #expect(throws: CodecError.self) { try EntryCodec.decode(negative, maxRawLength: 1 << 20) }
        #expect(throws: CodecError.self) { try EntryCodec.decode(good.prefix(30), maxRawLength: 1 << 20) }
    }

    @Test("the committed entry-codec fuzz seeds that are entries decode and re-encode to themselves")
    func fuzzSeedsAreValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let directory = root.appendingPathComponent("Fuzz/Corpus/entry-codec")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("entry-") && $0 != "entry-lz4-bomb" }
        #expect(names.contains("entry-cost") && names.contains("entry-raw") && names.contains("entry-keyed"))
        for name in names {
            let bytes = Array(try Data(contentsOf: directory.appendingPathComponent(name)))
            let (entry, key) = try EntryCodec.decode(bytes, maxRawLength: 1 << 20)
            #expect(key.map { EntryCodec.encode(entry, key: $0) } ?? EntryCodec.encode(entry) == bytes, "\(name)")
            if name == "entry-cost" { #expect(entry.cost == AnswerCost(tokens: 13, nanodollars: 62_500)) }
        }
    }

    @Test("foreign, truncated, unknown-version and inconsistent headers are rejected")
    func badHeadersAreRejected() {
        let entry = CacheEntry(value: StoredValue(encoding: Array("hello".utf8)), createdAtMillis: 1, expiresAtMillis: 2)
        let good = EntryCodec.encode(entry)
        #expect(throws: CodecError.self) { try EntryCodec.decode(Array("not ours".utf8), maxRawLength: 1 << 20) }
        #expect(throws: CodecError.self) { try EntryCodec.decode(good.prefix(10), maxRawLength: 1 << 20) }
        var version = good
        version[2] = 9
        #expect(throws: CodecError.self) { try EntryCodec.decode(version, maxRawLength: 1 << 20) }
        #expect(throws: CodecError.self) { try EntryCodec.decode(good.dropLast(), maxRawLength: 1 << 20) }
        #expect(throws: CodecError.self) { try EntryCodec.decode(good, maxRawLength: 2) }
    }
}
