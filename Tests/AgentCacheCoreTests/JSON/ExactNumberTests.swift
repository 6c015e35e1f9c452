import Testing
@testable import AgentCacheCore

/// SPEC §2: numbers follow RFC 8785 where a Double holds them exactly, and keep an exact
/// canonical decimal form otherwise, so two different numbers never share canonical bytes.
@Suite("Exact numbers")
struct ExactNumberTests {
    func canonical(_ text: String) throws -> String {
        String(decoding: CanonicalJSON.encode(try JSONParser.parse(Array(text.utf8))), as: UTF8.self)
    }

    /// The value of a JSON number text, worked out on the text alone: sign, significant digits
    /// (no leading or trailing zeros) and exponent, value = ±digits × 10^exponent; zero is
    /// `(false, "0", 0)`. The reference the parser and writer are checked against.
    struct Value: Equatable, CustomStringConvertible {
        var negative: Bool
        var digits: String
        var exponent: Int
        var description: String { "\(negative ? "-" : "")\(digits)e\(exponent)" }

        init(negative: Bool, digits: String, exponent: Int) {
            self.negative = negative
            self.digits = digits
            self.exponent = exponent
        }

        init(_ text: String) {
            var rest = Substring(text)
            let isNegative = rest.first == "-"
            if isNegative { rest = rest.dropFirst() }
            var exponent = 0
            if let e = rest.firstIndex(where: { $0 == "e" || $0 == "E" }) {
                exponent = Int(String(rest[rest.index(after: e)...].filter { $0 != "+" }))!
                rest = rest[..<e]
            }
            let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
            let fraction = parts.count > 1 ? String(parts[1]) : ""
            var digits = Substring(String(parts[0]) + fraction)
            exponent -= fraction.count
            digits = digits.drop { $0 == "0" }
            while digits.last == "0" {
                digits = digits.dropLast()
                exponent += 1
            }
            if digits.isEmpty {
                self.init(negative: false, digits: "0", exponent: 0)
            } else {
                self.init(negative: isNegative, digits: String(digits), exponent: exponent)
            }
        }
    }

    // MARK: The inputs of issue 11

    @Test("9007199254740993 and 9007199254740992 (beyond 2^53) have different canonical bytes")
    func beyondTwoToThe53() throws {
        #expect(try canonical("9007199254740993") == "9007199254740993")
        #expect(try canonical("9007199254740992") == "9007199254740992")
        #expect(try canonical(#"{"seed":9007199254740993}"#) != canonical(#"{"seed":9007199254740992}"#))
        #expect(try JSONParser.parse(Array("9007199254740992".utf8)) == .number(9007199254740992))
        #expect(try canonical("-9007199254740993") == "-9007199254740993")
    }

    @Test("12345678901234567890 and 12345678901234567891 have different canonical bytes")
    func twentyDigitIntegers() throws {
        #expect(try canonical("12345678901234567890") == "12345678901234567890")
        #expect(try canonical("12345678901234567891") == "12345678901234567891")
        // The Double both used to collapse to is held exactly, so it keeps its RFC 8785 form.
        #expect(try canonical("12345678901234567000") == "12345678901234567000")
        #expect(try JSONParser.parse(Array("12345678901234567000".utf8)) == .number(Double("12345678901234567000")!))
    }

    @Test("1e400 and 1e-400 are neither infinity nor 0, and differ from their neighbours")
    func hugeExponents() throws {
        #expect(try canonical("1e400") == "1e400")
        #expect(try canonical("1E+400") == "1e400")
        #expect(try canonical("10e399") == "1e400")
        #expect(try canonical("1e-400") == "1e-400")
        #expect(try canonical("-1e-400") == "-1e-400")
        #expect(try canonical("1e-400") != canonical("0"))
        #expect(try canonical("1e400") != canonical("1e401"))
        #expect(try canonical("1.5e400") == "1.5e400")
    }

    @Test("1, 1.0, 1e0 and 10E-1 encode the same; -0 encodes as 0")
    func equalValuesEncodeAlike() throws {
        for spelling in ["1", "1.0", "1e0", "10E-1", "0.1e1", "100e-2", "1.00000000000000000000000000000"] {
            #expect(try canonical(spelling) == "1", "\(spelling)")
        }
        for spelling in ["0", "-0", "0.0", "-0.0e10", "0e-999999", "-0E+5"] {
            #expect(try canonical(spelling) == "0", "\(spelling)")
        }
        for spelling in ["9007199254740993", "9007199254740993.000", "9.007199254740993e15", "900719925474099300e-2", "0.9007199254740993E16"] {
            #expect(try canonical(spelling) == "9007199254740993", "\(spelling)")
        }
    }

    @Test("the exact form has no leading zeros, no '+', a lowercase exponent and ECMAScript's layout")
    func exactFormLayout() throws {
        #expect(try canonical("0.30000000000000001") == "0.30000000000000001")
        #expect(try canonical("0.0000001000000000000000001") == "1.000000000000000001e-7")
        #expect(try canonical("123456789012345678901234567890") == "1.2345678901234567890123456789e29")
        #expect(try canonical("-0.0000012345678901234567890E0") == "-0.000001234567890123456789")
        #expect(try canonical("100000000000000000001") == "100000000000000000001")
        #expect(try canonical("1000000000000000000001") == "1.000000000000000000001e21")
    }

    @Test("numbers a Double holds keep RFC 8785's bytes (what keys were made of before)")
    func exactDoublesUnchanged() throws {
        for text in ["0.7", "0.2", "512", "1e21", "1.5e-7", "1e+300", "-5e-324", "4503599627370497", "1.7976931348623157e308", "333333333.3333333"] {
            let value = try JSONParser.parse(Array(text.utf8))
            guard case .number(let double) = value else {
                Issue.record("\(text) parsed as \(value)")
                continue
            }
            var rfc: [UInt8] = []
            CanonicalJSON.writeNumber(Double(text)!, into: &rfc)
            #expect(double == Double(text))
            #expect(CanonicalJSON.encode(value) == rfc, "\(text)")
        }
    }

    // MARK: Properties

    /// A random number value: mostly everyday magnitudes and lengths, often 16-20 digits near a
    /// Double's precision, sometimes near its range ends or far past them.
    static func randomValue(_ rng: inout SplitMix64) -> Value {
        let length: Int
        switch rng.next() % 8 {
        case 0...2: length = 1 + Int(rng.next() % 15)
        case 3...5: length = 16 + Int(rng.next() % 5)
        case 6: length = 21 + Int(rng.next() % 40)
        default: length = 1 + Int(rng.next() % 3)
        }
        var digits = ""
        for position in 0..<length {
            let low: UInt64 = position == 0 || position == length - 1 ? 1 : 0
            digits.append(Character(String(low + rng.next() % (10 - low))))
        }
        let exponent: Int
        switch rng.next() % 8 {
        case 0...4: exponent = Int(rng.next() % 61) - 30 - length / 2
        case 5: exponent = Int(rng.next() % 41) + 290 - length
        case 6: exponent = -Int(rng.next() % 41) - 300 - length
        default: exponent = Int(rng.next() % 18_001) - 9000 - length / 2
        }
        return Value(negative: rng.next() % 3 == 0, digits: digits, exponent: exponent)
    }

    /// A random valid JSON spelling of `value`: the point anywhere (or before leading zeros),
    /// extra trailing zeros, `e`/`E`, an explicit `+` or none, the exponent left out when 0.
    static func randomSpelling(of value: Value, _ rng: inout SplitMix64) -> String {
        let extraZeros = Int(rng.next() % 4)
        let mantissa = value.digits + String(repeating: "0", count: extraZeros)
        let count = mantissa.count
        // The point goes after `split` digits; negative means that many zeros after "0.".
        let split = Int(rng.next() % UInt64(count + 4)) - 3
        var text = value.negative ? "-" : ""
        let shown: Int
        if split <= 0 {
            text += "0." + String(repeating: "0", count: -split) + mantissa
            shown = count - split
        } else {
            text += String(mantissa.prefix(split))
            if split < count { text += "." + mantissa.dropFirst(split) }
            shown = count - split
        }
        let literalExponent = value.exponent - extraZeros + shown
        if literalExponent != 0 || rng.next() % 2 == 0 {
            text += rng.next() % 2 == 0 ? "e" : "E"
            if literalExponent >= 0 && rng.next() % 2 == 0 { text += "+" }
            text += String(literalExponent)
        }
        return text
    }

    @Test("random numbers: the canonical text denotes exactly the input's value, so distinct values never share bytes")
    func canonicalTextIsExact() throws {
        var rng = SplitMix64(seed: 0x5EC2)
        var exactCount = 0
        var decimalCount = 0
        for _ in 0..<20_000 {
            let value = Self.randomValue(&rng)
            let spelling = Self.randomSpelling(of: value, &rng)
            #expect(Value(spelling) == value, "test generator: \(spelling) is not \(value)")
            let parsed = try JSONParser.parse(Array(spelling.utf8))
            let text = String(decoding: CanonicalJSON.encode(parsed), as: UTF8.self)
            #expect(Value(text) == value, "\(spelling) -> \(text)")
            #expect(!text.contains("+") || text.contains("e+"), "\(text)")
            #expect(try canonical(text) == text, "not idempotent: \(text)")
            // A Double holds the value exactly iff its RFC 8785 text denotes the value; then, and
            // only then, the parser keeps a Double and writes RFC 8785.
            let nearest = Double(spelling)!
            var heldExactly = false
            if nearest.isFinite && nearest != 0 {
                var rfc: [UInt8] = []
                CanonicalJSON.writeNumber(nearest, into: &rfc)
                heldExactly = Value(String(decoding: rfc, as: UTF8.self)) == value
            }
            switch parsed {
            case .number(let double):
                exactCount += 1
                #expect(heldExactly && double == nearest, "\(spelling)")
            case .decimal:
                decimalCount += 1
                #expect(!heldExactly, "\(spelling) is held by \(nearest)")
            default:
                Issue.record("\(spelling) parsed as \(parsed)")
            }
        }
        // Both kinds are exercised in quantity.
        #expect(exactCount > 5000 && decimalCount > 5000, "\(exactCount) exact, \(decimalCount) decimal")
    }

    @Test("random pairs: equal values always encode the same, distinct values never do")
    func pairs() throws {
        var rng = SplitMix64(seed: 0xDEC1)
        for _ in 0..<10_000 {
            let value = Self.randomValue(&rng)
            let one = Self.randomSpelling(of: value, &rng)
            let two = Self.randomSpelling(of: value, &rng)
            #expect(try canonical(one) == canonical(two), "\(one) vs \(two)")
            // A neighbour: one digit changed, or the exponent moved by one.
            var other = value
            if rng.next() % 2 == 0 {
                var digits = Array(other.digits)
                let position = Int(rng.next() % UInt64(digits.count))
                let digit = digits[position].wholeNumberValue!
                digits[position] = Character(String(digit == 9 ? 8 : digit + 1))
                other.digits = String(digits)
            } else {
                other.exponent += rng.next() % 2 == 0 ? 1 : -1
            }
            let three = Self.randomSpelling(of: other, &rng)
            #expect(try canonical(one) != canonical(three), "\(one) vs \(three)")
        }
    }

    @Test("every finite Double's shortest text is held exactly and keeps RFC 8785 bytes")
    func doublesAreExact() throws {
        var rng = SplitMix64(seed: 0xD0B1E)
        for _ in 0..<10_000 {
            let x = Double(bitPattern: rng.next())
            guard x.isFinite else { continue }
            var rfc: [UInt8] = []
            CanonicalJSON.writeNumber(x, into: &rfc)
            let parsed = try JSONParser.parse(rfc)
            #expect(parsed == .number(x), "\(x)")
            #expect(CanonicalJSON.encode(parsed) == rfc)
        }
    }
}
