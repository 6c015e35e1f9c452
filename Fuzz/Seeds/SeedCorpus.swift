// fuzz-sources: Sources/AgentCacheOrigin/ObjectRecord.swift Sources/AgentCacheOrigin/ObjectHead.swift
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import AgentCacheCore

/// Writes the committed seed corpus, Fuzz/Corpus/<target>/<seed>: real inputs for each fuzz
/// target. JSON seeds are request bodies from the README and the tests and the RFC 8785 examples;
/// codec seeds come from the real encoders (EntryCodec, LZ4Codec, ObjectRecord), so the corpus
/// follows the formats when they change. Run by `scripts/fuzz --seeds`; built with
/// ObjectRecord.swift and ObjectHead.swift compiled in, like the object-record target.
@main
struct SeedCorpus {
    static func main() {
        guard CommandLine.arguments.count == 2 else { fatalError("usage: seed-corpus <corpus directory>") }
        let root = CommandLine.arguments[1]
        var written = 0
        for (target, seeds) in [
            ("json-parser", jsonSeeds), ("canonical-json", jsonSeeds), ("request-parser", requestSeeds),
            ("entry-codec", entrySeeds), ("object-record", objectSeeds),
        ] {
            let directory = root + "/" + target
            mkdir(directory, 0o755)
            for (name, bytes) in seeds {
                write(bytes, to: directory + "/" + name)
                written += 1
            }
        }
        print("wrote \(written) seeds under \(root)")
    }

    // MARK: JSON texts

    /// Valid and invalid JSON: the RFC 8785 examples, the parser tests' edge cases, README bodies.
    static var jsonSeeds: [(String, [UInt8])] {
        var seeds: [(String, [UInt8])] = [
            ("rfc8785-3.2.2-example", utf8(#"""
            {
              "numbers": [333333333.33333329, 1E30, 4.50,
                          2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """#)),
            // The §3.2.3 member-sorting example on one line.
            ("rfc8785-3.2.3-sorting", utf8(#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#)),
            // RFC 8785 Appendix B: the finite rows' canonical texts.
            ("rfc8785-appendix-b", utf8("""
            [0, -0, 5e-324, -5e-324, 1.7976931348623157e+308, -1.7976931348623157e+308,
             9007199254740992, -9007199254740992, 295147905179352830000, 9.999999999999997e+22,
             1e+23, 1.0000000000000001e+23, 999999999999999700000, 999999999999999900000, 1e+21,
             9.999999999999997e-7, 0.000001, 333333333.3333332, 333333333.33333325,
             333333333.3333333, 333333333.3333334, 333333333.33333343, -0.0000033333333333333333,
             1424953923781206.2]
            """)),
            ("all-kinds", utf8(#" {"z": [null, true, false, -0, 12.5e-1, "s"], "a": {}, "m": []} "#)),
            ("escapes", utf8(#""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00\u0000""#)),
            ("utf8-boundaries", [0x22, 0xC2, 0x80, 0xDF, 0xBF, 0xE0, 0xA0, 0x80, 0xED, 0x9F, 0xBF, 0xEE, 0x80, 0x80,
                                 0xEF, 0xBF, 0xBF, 0xF0, 0x90, 0x80, 0x80, 0xF4, 0x8F, 0xBF, 0xBF, 0x22]),
            ("nested-30", utf8(String(repeating: "[", count: 30) + "{\"k\":1}" + String(repeating: "]", count: 30))),
            ("duplicate-keys", utf8(#"{"a":1,"a":2}"#)),
            ("lone-surrogate", utf8(#"["\ud800"]"#)),
            ("overflowing-number", utf8("[1e999, -1e999, 1e-999]")),
            ("bad-forms", utf8("[01, 1., .5, +1, 0x1F, NaN]")),
            ("trailing-comma", utf8(#"{"a":[1,2,],}"#)),
            ("unterminated", utf8(#"{"a":"b"#)),
        ]
        seeds += requestSeeds.map { ("request-" + $0.0, $0.1) }
        return seeds
    }

    /// Request bodies: the README walkthrough and CacheRequestParserTests, accepted and rejected.
    static var requestSeeds: [(String, [UInt8])] {
        let valid = #"{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}]"#
        return [
            ("readme-get", utf8(#"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"What is 2+2?"}]}"#)),
            ("readme-set", utf8(#"""
            {"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"What is 2+2?"}],
                   "response":{"content":"4"},"ttl":3600}
            """#)),
            ("readme-get-reordered", utf8(#"{"messages":[{"content":"What is 2+2?","role":"user"}],"model":"gpt-4o","provider":"openai"}"#)),
            ("readme-invalidate", utf8(#"{"namespace":"jt_customer_42"}"#)),
            ("all-fields", utf8(#"{"provider":"p","model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"namespace":"ns","temperature":0.2,"params":{"seed":1}}"#)),
            ("set-spaced-response", utf8(valid + #","response": { "a" : [1, 2] },"ttl":30}"#)),
            ("set-null-response", utf8(valid + #","response":null}"#)),
            ("set-bad-ttl", utf8(valid + #","response":1,"ttl":-1}"#)),
            ("invalidate-entry", utf8(valid + "}")),
            ("invalidate-empty", utf8(" \r\n\t")),
            ("invalidate-partial", utf8(#"{"namespace":"n","model":"m"}"#)),
            ("missing-provider", utf8(#"{"model":"m","messages":[{"role":"user"}]}"#)),
            ("empty-messages", utf8(#"{"provider":"p","model":"m","messages":[]}"#)),
            ("bad-content", utf8(#"{"provider":"p","model":"m","messages":[{"role":"user","content":5}]}"#)),
            ("bad-params", utf8(#"{"provider":"p","model":"m","messages":[{"role":"user"}],"params":[1]}"#)),
            ("namespace-emoji", utf8(#"{"provider":"p","model":"m","messages":[{"role":"user"}],"namespace":"t\ud83d\ude00"}"#)),
            ("not-an-object", utf8("[1,2]")),
        ]
    }

    // MARK: Binary formats, from the real encoders

    /// An LLM-style answer, repetitive enough that LZ4 pays (as in CodecTests).
    static var answer: [UInt8] {
        var text = #"{"id":"chatcmpl-1","object":"chat.completion","choices":["#
        for index in 0..<8 {
            text += #"{"index":\#(index),"message":{"role":"assistant","content":"The cache stores the answer so the model is not asked twice."}},"#
        }
        return utf8(text + #"{"index":99}]}"#)
    }

    /// Redis values as EntryCodec writes them (version 3 with the key, as the server writes;
    /// version 1, and version 2 with a cost, as earlier releases did), a bomb
    /// header, and length-prefixed LZ4 blocks (the target's second reading: four bytes of
    /// declared raw length, then the block).
    static var entrySeeds: [(String, [UInt8])] {
        let small = utf8(#"{"content":"4"}"#)
        func entry(_ value: StoredValue, cost: AnswerCost = .zero) -> [UInt8] {
            EntryCodec.encode(CacheEntry(value: value, createdAtMillis: 1_764_000_000_000, expiresAtMillis: 1_764_003_600_000, cost: cost))
        }
        let compressed = StoredValue(encoding: answer)
        precondition(compressed.encoding == .lz4, "the answer seed should compress")
        // A real header that claims 1 GiB over a two-byte block: must be refused, not allocated.
        let bomb = entry(StoredValue(bytes: [0x10, 0x41], encoding: .lz4, rawLength: 1 << 30))
        func block(_ raw: [UInt8]) -> [UInt8] {
            let length = UInt32(raw.count)
            let header = (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
            return header + (raw.withUnsafeBytes { LZ4Codec.compress($0) } ?? [])
        }
        return [
            (
                "entry-keyed",
                EntryCodec.encode(
                    CacheEntry(value: StoredValue(encoding: small), createdAtMillis: 1_764_000_000_000, expiresAtMillis: 1_764_003_600_000),
                    key: CacheKey(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210)
                )
            ),
            ("entry-raw", entry(StoredValue(encoding: small))),
            ("entry-lz4", entry(compressed)),
            ("entry-empty", entry(StoredValue(encoding: []))),
            // 13 tokens of gpt-4o (9 in, 4 out) at $2.50/$10 per 1M: 62 500 nanodollars.
            ("entry-cost", entry(StoredValue(encoding: small), cost: AnswerCost(tokens: 13, nanodollars: 62_500))),
            ("entry-lz4-bomb", bomb),
            ("block-answer", block(answer)),
            ("block-zeros", block([UInt8](repeating: 0, count: 4096))),
        ]
    }

    /// Origin objects as ObjectRecord encodes them: a full head, a 404 with none, empty fields.
    static var objectSeeds: [(String, [UInt8])] {
        [
            ("object-full", ObjectRecord(
                kind: .object, fetchedAtMillis: 1_764_000_000_000, freshUntilMillis: 1_764_003_600_000,
                head: ObjectHead(contentType: "application/json", etag: "\"9b2cf535f27731c974343645a3985328\"",
                                 lastModified: "Wed, 26 Nov 2025 06:00:00 GMT"),
                body: answer
            ).encoded()),
            ("object-not-found", ObjectRecord(
                kind: .notFound, fetchedAtMillis: 1_764_000_000_000, freshUntilMillis: 1_764_000_060_000,
                head: ObjectHead(), body: []
            ).encoded()),
            ("object-empty-fields", ObjectRecord(
                kind: .object, fetchedAtMillis: 0, freshUntilMillis: -1,
                head: ObjectHead(contentType: "", etag: "", lastModified: ""), body: utf8("x")
            ).encoded()),
        ]
    }

    // MARK: Helpers

    static func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func write(_ bytes: [UInt8], to path: String) {
        guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
        let count = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
        guard count == bytes.count else { fatalError("short write to \(path)") }
    }
}
