import Testing
@testable import AgentCacheCore

/// Parses `text`'s UTF-8 bytes with the array entry point.
private func parse(_ text: String, maxDepth: Int = JSONParser.defaultMaxDepth) throws(JSONParseError) -> JSONValue {
    try JSONParser.parse(Array(text.utf8), maxDepth: maxDepth)
}

/// The error `JSONParser.parse` throws for `input`, or nil if it parses.
private func parseError(_ input: [UInt8], maxDepth: Int = JSONParser.defaultMaxDepth) -> JSONParseError? {
    do {
        _ = try JSONParser.parse(input, maxDepth: maxDepth)
        return nil
    } catch {
        return error
    }
}

private func parseError(_ text: String, maxDepth: Int = JSONParser.defaultMaxDepth) -> JSONParseError? {
    parseError(Array(text.utf8), maxDepth: maxDepth)
}

private func spansError(_ text: String) -> JSONParseError? {
    do {
        _ = try JSONParser.parseObjectWithSpans(Array(text.utf8))
        return nil
    } catch {
        return error
    }
}

private func nested(_ depth: Int, open: String = "[", close: String = "]", inner: String = "") -> String {
    String(repeating: open, count: depth) + inner + String(repeating: close, count: depth)
}

@Suite("JSONParser")
struct JSONParserTests {
    // MARK: Accepting valid input

    @Test("parses every value kind and keeps object members in input order")
    func parsesAllKinds() throws {
        let value = try parse(#" {"z": [null, true, false, -0, 12.5e-1, "s"], "a": {}, "m": []} "#)
        let expected = JSONValue.object([
            JSONMember(key: "z", value: .array([.null, .bool(true), .bool(false), .number(-0.0), .number(1.25), .string("s")])),
            JSONMember(key: "a", value: .object([])),
            JSONMember(key: "m", value: .array([])),
        ])
        #expect(value == expected)
    }

    @Test("accepts scalars at the top level")
    func topLevelScalars() throws {
        #expect(try parse("null") == .null)
        #expect(try parse(" true\n") == .bool(true))
        #expect(try parse("\t\"x\"\r\n") == .string("x"))
        #expect(try parse("-12") == .number(-12))
    }

    @Test("subscript finds object members and typeName names every kind")
    func subscriptAndTypeName() throws {
        let value = try parse(#"{"a": 1, "b": {"c": "d"}}"#)
        #expect(value["a"] == .number(1))
        #expect(value["b"]?["c"] == .string("d"))
        #expect(value["missing"] == nil)
        #expect(JSONValue.array([])["a"] == nil)
        let names = [JSONValue.null, .bool(true), .number(1), .string(""), .array([]), .object([])].map(\.typeName)
        #expect(names == ["null", "boolean", "number", "string", "array", "object"])
    }

    @Test("decodes every escape, including surrogate pairs and uppercase hex")
    func decodesEscapes() throws {
        let value = try parse(#""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00\u0000""#)
        #expect(value == .string("\"\\/\u{08}\u{0C}\n\r\tAé€😀\u{0}"))
    }

    @Test("accepts well-formed UTF-8 at every range boundary of Unicode Table 3-7")
    func acceptsBoundaryUTF8() throws {
        let samples: [[UInt8]] = [
            [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
            [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
        ]
        for sample in samples {
            let input = [0x22] + sample + [0x22]
            let value = try JSONParser.parse(input)
            #expect(value == .string(String(decoding: sample, as: UTF8.self)))
        }
    }

    @Test("numbers are correctly rounded on both the fast path and the fallback path")
    func numbersCorrectlyRounded() throws {
        // Numbers a Double holds exactly (their text is its shortest form, give or take zeros).
        let exact = [
            "0", "-0", "1", "0.1", "0.3", "123.456e-5", "9007199254740992",
            "1e22", "1e23", "2.2250738585072014e-308", "1.7976931348623157e308",
            "0.000000000000000000000000001", "1E30", "0.1e1", "100e-2", "5e-324",
        ]
        for text in exact {
            let expected = Double(text)
            #expect(try parse(text) == .number(expected ?? .nan), "\(text)")
        }
        // Numbers a Double would round keep their exact value; their nearest Double is still
        // the correctly rounded one.
        let rounded = [
            "9007199254740993", "4.9e-324", "2.2250738585072011e-308", "333333333.33333329",
            "12345678901234567890123", "1e-400",
        ]
        for text in rounded {
            let value = try parse(text)
            guard case .decimal(let decimal) = value else {
                Issue.record("\(text) parsed as \(value)")
                continue
            }
            #expect(decimal.doubleValue == Double(text), "\(text)")
        }
        var rng = SplitMix64(seed: 7)
        for _ in 0..<2_000 {
            let bits = rng.next()
            let x = Double(bitPattern: bits)
            guard x.isFinite else { continue }
            #expect(try parse(x.description) == .number(x))
        }
    }

    @Test("both entry points agree, and an empty buffer without a base address is unexpectedEnd")
    func rawBufferEntryPoint() throws {
        let input = Array(#"{"k": [1, "é"]}"#.utf8)
        let viaRaw = try input.withUnsafeBytes { raw in try JSONParser.parse(raw) }
        #expect(try viaRaw == JSONParser.parse(input))
        do {
            _ = try JSONParser.parse(UnsafeRawBufferPointer(start: nil, count: 0))
            Issue.record("empty input parsed")
        } catch {
            #expect(error == JSONParseError(kind: .unexpectedEnd, offset: 0))
        }
    }

    @Test("keys that are canonically equivalent but differ in code points are distinct, not duplicates")
    func canonicallyEquivalentKeysAreDistinct() throws {
        let value = try parse("{\"\u{E9}\": 1, \"e\u{301}\": 2}")
        guard case let .object(members) = value else {
            Issue.record("not an object")
            return
        }
        #expect(members.count == 2)
        #expect(value["e\u{301}"] == .number(2))
        #expect(JSONValue.string("\u{E9}") != .string("e\u{301}"))
    }

    // MARK: Rejections

    @Test("rejects trailing commas as unexpectedCharacter")
    func rejectsTrailingComma() {
        #expect(parseError("[1,]") == JSONParseError(kind: .unexpectedCharacter, offset: 3))
        #expect(parseError(#"{"a":1,}"#) == JSONParseError(kind: .unexpectedCharacter, offset: 7))
        #expect(parseError("[,1]")?.kind == .unexpectedCharacter)
    }

    @Test("rejects leading zeros and other non-RFC-8259 number spellings")
    func rejectsBadNumbers() {
        #expect(parseError("01") == JSONParseError(kind: .invalidNumber, offset: 0))
        #expect(parseError("[-01]") == JSONParseError(kind: .invalidNumber, offset: 1))
        #expect(parseError("1.")?.kind == .invalidNumber)
        #expect(parseError("1.e5")?.kind == .invalidNumber)
        #expect(parseError("1e")?.kind == .invalidNumber)
        #expect(parseError("1e+")?.kind == .invalidNumber)
        #expect(parseError("-")?.kind == .invalidNumber)
        #expect(parseError("-Infinity")?.kind == .invalidNumber)
        #expect(parseError("+1") == JSONParseError(kind: .unexpectedCharacter, offset: 0))
        #expect(parseError(".5") == JSONParseError(kind: .unexpectedCharacter, offset: 0))
        #expect(parseError("0x10") == JSONParseError(kind: .trailingCharacters, offset: 1))
    }

    @Test("rejects bare NaN and Infinity")
    func rejectsNaN() {
        #expect(parseError("NaN") == JSONParseError(kind: .unexpectedCharacter, offset: 0))
        #expect(parseError("[Infinity]") == JSONParseError(kind: .unexpectedCharacter, offset: 1))
        #expect(parseError("nan")?.kind == .unexpectedCharacter)
    }

    @Test("numbers beyond a Double's range stay exact, never infinity or 0; only past the bounds are they refused")
    func keepsNumbersBeyondDoubleRange() throws {
        func text(_ input: String) throws -> String {
            String(decoding: CanonicalJSON.encode(try parse(input)), as: UTF8.self)
        }
        #expect(try text("1e400") == "1e400")
        #expect(try text("[-1e400]") == "[-1e400]")
        #expect(try text("1" + String(repeating: "0", count: 400)) == "1e400")
        #expect(try text("1e-400") == "1e-400")
        #expect(try text("-2.50E-400") == "-2.5e-400")
        #expect(try text("1e9999") == "1e9999")
        #expect(try text("1e-9999") == "1e-9999")
        #expect(try parse("1e400") != parse("1e401"))
        #expect(parseError("1e10000") == JSONParseError(kind: .numberOutOfRange, offset: 0))
        #expect(parseError("[1e-10000]") == JSONParseError(kind: .numberOutOfRange, offset: 1))
        #expect(parseError("1e99999999999999999999999")?.kind == .numberOutOfRange)
        #expect(parseError("0." + String(repeating: "0", count: 9999) + "1")?.kind == .numberOutOfRange)
        let longest = "1." + String(repeating: "3", count: JSONParser.maxSignificantDigits - 1)
        #expect(try text(longest) == longest)
        #expect(parseError(longest + "3") == JSONParseError(kind: .numberOutOfRange, offset: 0))
        #expect(parseError(longest + "3")?.description == "number with more than 1000 significant digits at byte 0")
        // Zeros are 0 at any exponent, and trailing zeros are not significant digits.
        #expect(try parse("0e99999999999999999999") == .number(0))
        #expect(try text("1." + String(repeating: "0", count: 5000)) == "1")
    }

    @Test("rejects comments")
    func rejectsComments() {
        #expect(parseError("// hi\n{}") == JSONParseError(kind: .unexpectedCharacter, offset: 0))
        #expect(parseError("[1 /* c */]") == JSONParseError(kind: .unexpectedCharacter, offset: 3))
    }

    @Test("rejects single quotes and misspelt literals")
    func rejectsQuotesAndLiterals() {
        #expect(parseError("['a']") == JSONParseError(kind: .unexpectedCharacter, offset: 1))
        #expect(parseError("tru") == JSONParseError(kind: .unexpectedEnd, offset: 3))
        #expect(parseError("trUe") == JSONParseError(kind: .unexpectedCharacter, offset: 2))
        #expect(parseError("nulls") == JSONParseError(kind: .trailingCharacters, offset: 4))
    }

    @Test("rejects whitespace other than space, tab, CR and LF")
    func rejectsOtherWhitespace() {
        #expect(parseError("\u{0C}1") == JSONParseError(kind: .unexpectedCharacter, offset: 0))
        #expect(parseError("[1,\u{A0}2]")?.kind == .unexpectedCharacter)
        #expect(parseError([0xEF, 0xBB, 0xBF, 0x31]) == JSONParseError(kind: .unexpectedCharacter, offset: 0))
    }

    @Test("rejects an unterminated string as unexpectedEnd")
    func rejectsUnterminatedString() {
        #expect(parseError(#""abc"#) == JSONParseError(kind: .unexpectedEnd, offset: 4))
        #expect(parseError(#"{"a":"b\"}"#) == JSONParseError(kind: .unexpectedEnd, offset: 10))
        #expect(parseError(#""\"#)?.kind == .unexpectedEnd)
        #expect(parseError(#""\u12"#)?.kind == .unexpectedEnd)
    }

    @Test("rejects raw control characters inside strings as invalidString")
    func rejectsRawControlCharacters() {
        #expect(parseError("\"a\nb\"") == JSONParseError(kind: .invalidString, offset: 2))
        #expect(parseError("[\"\\n\u{1F}\"]") == JSONParseError(kind: .invalidString, offset: 4))
        #expect(parseError("\"\t\"")?.kind == .invalidString)
    }

    @Test("rejects undefined escapes and malformed \\u escapes as invalidEscape")
    func rejectsBadEscapes() {
        #expect(parseError(#""a\x""#) == JSONParseError(kind: .invalidEscape, offset: 2))
        #expect(parseError(#""\u12G4""#) == JSONParseError(kind: .invalidEscape, offset: 1))
        #expect(parseError(#""\U0041""#)?.kind == .invalidEscape)
        #expect(parseError(#""\'""#)?.kind == .invalidEscape)
    }

    @Test("rejects malformed UTF-8: overlong, invalid byte, truncated, encoded surrogate, above U+10FFFF")
    func rejectsInvalidUTF8() {
        let cases: [(bytes: [UInt8], offset: Int)] = [
            ([0x22, 0xC0, 0x80, 0x22], 1),              // overlong NUL
            ([0x22, 0xFF, 0x22], 1),                    // never valid
            ([0x22, 0x61, 0xE2, 0x82, 0x22], 2),        // truncated by the closing quote
            ([0x22, 0xE2, 0x82], 1),                    // truncated by end of input
            ([0x22, 0xE0, 0x80, 0x80, 0x22], 1),        // overlong 3-byte
            ([0x22, 0xF0, 0x80, 0x80, 0x80, 0x22], 1),  // overlong 4-byte
            ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),        // UTF-8-encoded surrogate U+D800
            ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),  // U+110000
            ([0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], 1),  // lead byte beyond range
            ([0x22, 0x80, 0x22], 1),                    // stray continuation byte
            ([0x22, 0x5C, 0x6E, 0xC3, 0x22], 3),        // invalid after an escape (slow path)
        ]
        for (bytes, offset) in cases {
            #expect(parseError(bytes) == JSONParseError(kind: .invalidUTF8, offset: offset), "\(bytes)")
        }
    }

    @Test("rejects lone surrogate escapes as loneSurrogate")
    func rejectsLoneSurrogates() {
        #expect(parseError(#""\ud800""#) == JSONParseError(kind: .loneSurrogate, offset: 1))
        #expect(parseError(#""\udc00""#) == JSONParseError(kind: .loneSurrogate, offset: 1))
        #expect(parseError(#""ab\ud800\u0041""#) == JSONParseError(kind: .loneSurrogate, offset: 3))
        #expect(parseError(#""\ud800x""#)?.kind == .loneSurrogate)
        #expect(parseError(#""\ud800\n""#)?.kind == .loneSurrogate)
        #expect(parseError(#""\ud800\ud800""#)?.kind == .loneSurrogate)
    }

    @Test("rejects duplicate keys, including ones spelt differently with escapes and in large objects")
    func rejectsDuplicateKeys() {
        #expect(parseError(#"{"a":1,"a":2}"#) == JSONParseError(kind: .duplicateKey, offset: 7))
        #expect(parseError(#"{"a":1,"\u0061":2}"#) == JSONParseError(kind: .duplicateKey, offset: 7))
        #expect(parseError(#"{"x":{"a":1,"b":{"a":2}},"x":0}"#)?.kind == .duplicateKey)
        for count in [15, 16, 17, 40] {
            let members = (0..<count).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
            let text = "{" + members + ",\"k\(count / 2)\":0}"
            #expect(parseError(text)?.kind == .duplicateKey, "\(count) members")
            #expect(parseError("{" + members + "}") == nil, "\(count) members")
        }
    }

    @Test("allows maxDepth levels of nesting and rejects one more as tooDeep")
    func depthLimit() throws {
        #expect(parseError(nested(32)) == nil)
        #expect(parseError(nested(33)) == JSONParseError(kind: .tooDeep, offset: 32))
        let objects32 = String(repeating: "{\"a\":", count: 31) + "{}" + String(repeating: "}", count: 31)
        #expect(parseError(objects32) == nil)
        let objects33 = String(repeating: "{\"a\":", count: 32) + "{}" + String(repeating: "}", count: 32)
        #expect(parseError(objects33)?.kind == .tooDeep)
        #expect(parseError(nested(5), maxDepth: 5) == nil)
        #expect(parseError(nested(6), maxDepth: 5)?.kind == .tooDeep)
        #expect(parseError("[]", maxDepth: 0)?.kind == .tooDeep)
        #expect(parseError("1", maxDepth: 0) == nil)
    }

    @Test("hostile nesting far beyond the limit fails fast instead of overflowing the stack")
    func hostileNesting() {
        let deep = [UInt8](repeating: UInt8(ascii: "["), count: 1_000_000)
        #expect(parseError(deep) == JSONParseError(kind: .tooDeep, offset: 32))
    }

    @Test("rejects anything but whitespace after the value as trailingCharacters")
    func rejectsTrailingGarbage() {
        #expect(parseError("{} x") == JSONParseError(kind: .trailingCharacters, offset: 3))
        #expect(parseError("1 2") == JSONParseError(kind: .trailingCharacters, offset: 2))
        #expect(parseError("[]]") == JSONParseError(kind: .trailingCharacters, offset: 2))
        #expect(parseError("{}\n\t ") == nil)
    }

    @Test("rejects empty and whitespace-only input as unexpectedEnd")
    func rejectsEmptyInput() {
        #expect(parseError("") == JSONParseError(kind: .unexpectedEnd, offset: 0))
        #expect(parseError(" \n\t\r") == JSONParseError(kind: .unexpectedEnd, offset: 4))
        #expect(parseError("[1,")?.kind == .unexpectedEnd)
        #expect(parseError(#"{"a""#)?.kind == .unexpectedEnd)
        #expect(parseError(#"{"a":"#)?.kind == .unexpectedEnd)
    }

    @Test("rejects missing colons and separators as unexpectedCharacter")
    func rejectsMissingPunctuation() {
        #expect(parseError(#"{"a" 1}"#) == JSONParseError(kind: .unexpectedCharacter, offset: 5))
        #expect(parseError("[1 2]") == JSONParseError(kind: .unexpectedCharacter, offset: 3))
        #expect(parseError("{1:2}") == JSONParseError(kind: .unexpectedCharacter, offset: 1))
    }

    @Test("strings of every length hit the 8-byte scanner's edge cases correctly")
    func wordScannerBoundaries() throws {
        for length in 1..<24 {
            for position in 0..<length {
                var plain = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                plain[position] = UInt8(ascii: "b")

                var escaped = plain
                escaped.replaceSubrange(position...position, with: [0x5C, 0x22])
                #expect(try JSONParser.parse([0x22] + escaped + [0x22]) == .string(String(decoding: plain, as: UTF8.self).replacingB(with: "\"")))

                var accented = plain
                accented.replaceSubrange(position...position, with: [0xC3, 0xA9])
                #expect(try JSONParser.parse([0x22] + accented + [0x22]) == .string(String(decoding: accented, as: UTF8.self)))

                var control = plain
                control[position] = 0x01
                #expect(parseError([0x22] + control + [0x22]) == JSONParseError(kind: .invalidString, offset: position + 1))

                var broken = plain
                broken[position] = 0xFF
                #expect(parseError([0x22] + broken + [0x22]) == JSONParseError(kind: .invalidUTF8, offset: position + 1))

                #expect(parseError([0x22] + plain) == JSONParseError(kind: .unexpectedEnd, offset: length + 1))
            }
        }
    }

    // MARK: Error messages

    @Test("error descriptions are single lines naming the problem and byte offset")
    func errorDescriptions() {
        #expect(parseError("[1, x]")?.description == "unexpected character 'x' at byte 4")
        #expect(parseError(#"{"a":1,"a":2}"#)?.description == #"duplicate key "a" at byte 7"#)
        #expect(parseError(nested(33))?.description == "JSON nested deeper than 32 levels at byte 32")
        #expect(parseError("")?.description == "unexpected end of input at byte 0")
        #expect(parseError([0x5B, 0x01])?.description == "unexpected character 0x01 at byte 1")
        let hostileKey = parseError(#"{"a\nb\u0000":1,"a\nb\u0000":2}"#)?.description ?? ""
        #expect(hostileKey == #"duplicate key "a\nb\u0000" at byte 16"#)
        let longKey = String(repeating: "k", count: 500)
        let long = parseError("{\"\(longKey)\":1,\"\(longKey)\":2}")?.description ?? ""
        #expect(long.utf8.count < 120)
    }

    // MARK: Spans

    @Test("parseObjectWithSpans ranges slice back to each value's exact original bytes")
    func spansSliceOriginalBytes() throws {
        let text = #"{ "a" : 1 , "b": { "x" : [1, 2, {"y": "z"}] } ,"c":"he said \"hi\"\n\u00e9é" , "d" :[ ] ,"e":true,"f":null, "g": -1.5e3}"#
        let bytes = Array(text.utf8)
        let members = try JSONParser.parseObjectWithSpans(bytes)
        let originals = members.map { String(decoding: bytes[$0.valueRange], as: UTF8.self) }
        #expect(members.map(\.key) == ["a", "b", "c", "d", "e", "f", "g"])
        #expect(originals == [
            "1", #"{ "x" : [1, 2, {"y": "z"}] }"#, #""he said \"hi\"\n\u00e9é""#, "[ ]", "true", "null", "-1.5e3",
        ])
        for member in members {
            #expect(try JSONParser.parse(Array(bytes[member.valueRange])) == member.value)
        }
        #expect(members[2].value == .string("he said \"hi\"\n\u{E9}\u{E9}"))
        #expect(try JSONParser.parseObjectWithSpans(Array("{}".utf8)).isEmpty)
    }

    @Test("parseObjectWithSpans reports notAnObject for other top-level values and other errors as usual")
    func spansRejectNonObjects() {
        #expect(spansError("[1]") == JSONParseError(kind: .notAnObject, offset: 0))
        #expect(spansError("  \"x\"") == JSONParseError(kind: .notAnObject, offset: 2))
        #expect(spansError("12")?.kind == .notAnObject)
        #expect(spansError("null")?.kind == .notAnObject)
        #expect(spansError("")?.kind == .unexpectedEnd)
        #expect(spansError("x")?.kind == .unexpectedCharacter)
        #expect(spansError(#"{"a":1,"a":2}"#)?.kind == .duplicateKey)
        #expect(spansError("{} 1")?.kind == .trailingCharacters)
        #expect(spansError("{\"a\":" + nested(31) + "}") == nil)
        #expect(spansError("{\"a\":" + nested(32) + "}")?.kind == .tooDeep)
    }

    // MARK: Robustness

    @Test("unparsed members are validated only: nil value, exact byte range, the others parsed")
    func unparsedMembers() throws {
        let text = #"{"a":1, "response" : {"x":[1,2,{"y":"\u00e9"}]} ,"b":[true]}"#
        let members = try JSONParser.parseObjectWithSpans(Array(text.utf8), unparsed: ["response"])
        #expect(members.map(\.key) == ["a", "response", "b"])
        #expect(members[0].value == .number(1))
        #expect(members[1].value == nil)
        #expect(String(decoding: Array(text.utf8)[members[1].valueRange], as: UTF8.self) == #"{"x":[1,2,{"y":"\u00e9"}]}"#)
        #expect(members[2].value == .array([.bool(true)]))
        // Numbers of any size are fine in a value that is only validated.
        let huge = #"{"response":[1e99999999,0."# + String(repeating: "1", count: 5000) + "]}"
        #expect(try JSONParser.parseObjectWithSpans(Array(huge.utf8), unparsed: ["response"]).count == 1)
    }

    @Test("an unparsed member nests to its own limit with an explicit stack: 512 accepted, 513 and 100 000 refused by name")
    func unparsedDepth() throws {
        func error(_ value: String) -> JSONParseError? {
            do {
                _ = try JSONParser.parseObjectWithSpans(Array(#"{"response":\#(value)}"#.utf8), unparsed: ["response"], unparsedMaxDepth: 512)
                return nil
            } catch {
                return error
            }
        }
        #expect(error(nested(512)) == nil)
        #expect(error(nested(512, open: #"{"k":"#, close: "}", inner: "1")) == nil)
        #expect(error(nested(256) + "," ) != nil)
        let tooDeep = error(nested(513))
        #expect(tooDeep == JSONParseError(kind: .tooDeep, offset: 12 + 512))
        #expect(tooDeep?.member == "response")
        #expect(tooDeep?.depthLimit == 512)
        #expect(tooDeep?.description == #"JSON nested deeper than 512 levels in "response" at byte 524"#)
        #expect(error(nested(100_000))?.kind == .tooDeep)
        #expect(error(String(repeating: "[", count: 100_000))?.kind == .tooDeep)
        // The same rules as parsing inside the unparsed value.
        #expect(error(#"{"a":1,"a":2}"#)?.kind == .duplicateKey)
        #expect(error(#"{"a":1,"\u0061":2}"#)?.kind == .duplicateKey)
        #expect(error("[1,]")?.kind == .unexpectedCharacter)
        #expect(error(#""\ud800""#)?.kind == .loneSurrogate)
        #expect(error("01")?.kind == .invalidNumber)
    }

    @Test("a failure inside a top-level member's value names the member")
    func failuresNameTheMember() {
        let error = spansError(#"{"model":"m","params":{"x":"# + nested(31) + "}}")
        #expect(error?.kind == .tooDeep)
        #expect(error?.member == "params")
        #expect(error?.depthLimit == 32)
        #expect(spansError(#"{"a":tru}"#)?.member == "a")
        #expect(parseError(nested(33))?.member == nil)
    }

    @Test("random bytes and mutated valid JSON never crash: they parse or throw")
    func fuzzNeverCrashes() throws {
        var rng = SplitMix64(seed: 0xA6E7_CAC4E)
        let alphabet = Array(#"{}[]":,.-+eE0123456789 \ntfnrulsa\/u"#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xA9, 0xED, 0xF0, 0xF4, 0xFF]
        let seeds = [
            #"{"a":[1,2.5e-3,{"b":null}],"c":"x\u00e9\ud83d\ude00\n","d":true,"e":false}"#,
            #"[{"k":"v"},[[[]]],-0.0,1E+2,"é😀",{"":{}}]"#,
            #"{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001]}"#,
        ].map { Array($0.utf8) }

        var inputs: [[UInt8]] = []
        for _ in 0..<3_000 {
            let length = Int(rng.next() % 48)
            inputs.append((0..<length).map { _ in
                rng.next() % 4 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[Int(rng.next() % UInt64(alphabet.count))]
            })
        }
        for _ in 0..<3_000 {
            var input = seeds[Int(rng.next() % UInt64(seeds.count))]
            for _ in 0..<(1 + rng.next() % 4) {
                let position = Int(rng.next() % UInt64(input.count + 1))
                switch rng.next() % 4 {
                case 0 where position < input.count:
                    input[position] = UInt8(truncatingIfNeeded: rng.next())
                case 1:
                    input.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: position)
                case 2 where position < input.count:
                    input.remove(at: position)
                default:
                    input = Array(input[..<position])
                }
            }
            inputs.append(input)
        }

        var parsedCount = 0
        for input in inputs {
            do {
                let value = try JSONParser.parse(input)
                parsedCount += 1
                // Whatever parses must canonicalise to something that parses back to the same form.
                let canonical = CanonicalJSON.encode(value)
                #expect(try CanonicalJSON.encode(JSONParser.parse(canonical)) == canonical)
            } catch {
                #expect(error.offset >= 0 && error.offset <= input.count)
                #expect(!error.description.contains("\n"))
            }
            do {
                for member in try JSONParser.parseObjectWithSpans(input) {
                    #expect(try JSONParser.parse(Array(input[member.valueRange])) == member.value)
                }
            } catch {
                #expect(error.offset >= 0 && error.offset <= input.count)
            }
            // Validating without building agrees with parsing: the same verdict, the same error
            // at the same offset (number limits aside, which only values have).
            let parsed = parseError(input)
            let validated = input.withUnsafeBytes { raw -> JSONParseError? in
                do throws(JSONParseError) {
                    try JSONParser.validate(raw, maxDepth: JSONParser.defaultMaxDepth)
                    return nil
                } catch {
                    return error
                }
            }
            if parsed?.kind != .numberOutOfRange {
                #expect(validated == parsed, "\(String(decoding: input, as: UTF8.self))")
            }
        }
        #expect(parsedCount > 0)
    }
}

extension String {
    fileprivate func replacingB(with replacement: Character) -> String {
        String(map { $0 == "b" ? replacement : $0 })
    }
}
