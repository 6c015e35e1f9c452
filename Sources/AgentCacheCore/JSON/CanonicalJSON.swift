/// RFC 8785 (JSON Canonicalization Scheme) serialiser: equal JSON data always yields identical
/// bytes, so the output can be hashed or signed. O(n) plus O(k log k) per object of k members.
public enum CanonicalJSON {
    /// Appends the RFC 8785 canonical form of `value`. O(n log n) for object key sorting.
    /// Recurses once per nesting level, so values should come from `JSONParser` (depth-bounded)
    /// or be similarly shallow.
    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null:
            out.append(contentsOf: "null".utf8)
        case let .bool(flag):
            out.append(contentsOf: flag ? "true".utf8 : "false".utf8)
        case let .number(number):
            writeNumber(number, into: &out)
        case let .decimal(decimal):
            writeDecimal(decimal, into: &out)
        case let .string(string):
            writeString(string, into: &out)
        case let .array(elements):
            out.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            out.append(UInt8(ascii: "{"))
            var first = true
            for position in sortedMemberOrder(members) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                let member = members[position]
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Appends a number no Double holds: its canonical text is already exact (SPEC §2). Kept out
    /// of `write` so the common cases stay small there.
    @inline(never)
    private static func writeDecimal(_ decimal: JSONDecimal, into out: inout [UInt8]) {
        out.append(contentsOf: decimal.text.utf8)
    }

    /// Returns the RFC 8785 canonical form of `value` as UTF-8 bytes; O(n log n).
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(value, into: &out)
        return out
    }

    /// Appends `value` as a canonical JSON string (RFC 8785 §3.2.2.2); O(n).
    ///
    /// Only `"`, `\` and controls below U+0020 are escaped (short forms where JSON has them,
    /// else `\u00xx` in lowercase hex); everything else, including `/`, DEL and all non-ASCII,
    /// is copied as raw UTF-8.
    public static func writeString(_ value: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = value
        text.withUTF8 { bytes in
            var runStart = 0
            for position in 0..<bytes.count {
                let b = bytes[position]
                if b >= 0x20 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") { continue }
                if runStart < position {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<position]))
                }
                appendEscape(for: b, into: &out)
                runStart = position + 1
            }
            if runStart < bytes.count {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscape(for b: UInt8, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(b)
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x09: out.append(UInt8(ascii: "t"))
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        default:
            let hexDigits: StaticString = "0123456789abcdef"
            let hex = hexDigits.utf8Start
            out.append(contentsOf: "u00".utf8)
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0x0F)])
        }
    }

    // MARK: Member ordering

    /// Indices of `members` in RFC 8785 §3.2.3 order. Ties (duplicate keys, which only
    /// hand-built values can have) keep input order so the output is still deterministic.
    private static func sortedMemberOrder(_ members: [JSONMember]) -> [Int] {
        var order = Array(members.indices)
        var alreadySorted = true
        var position = 1
        while position < members.count {
            if compareUTF16(members[position - 1].key, members[position].key) > 0 {
                alreadySorted = false
                break
            }
            position += 1
        }
        // Re-canonicalising canonical input is common; skip the sort when order already holds.
        if alreadySorted { return order }
        order.sort { lhs, rhs in
            let result = compareUTF16(members[lhs].key, members[rhs].key)
            return result != 0 ? result < 0 : lhs < rhs
        }
        return order
    }

    /// Three-way comparison of two strings by their UTF-16 code units, as RFC 8785 §3.2.3
    /// requires; O(length of the common prefix).
    internal static func compareUTF16(_ lhs: String, _ rhs: String) -> Int {
        var a = lhs
        var b = rhs
        return a.withUTF8 { left in
            b.withUTF8 { right in compareUTF16(left, right) }
        }
    }

    /// Compares UTF-8 bytes, which order by code point, and fixes the one place where code point
    /// order and UTF-16 order disagree: U+E000–U+FFFF (lead bytes EE, EF) sort after every
    /// supplementary character (lead F0–F4), whose UTF-16 surrogates start at D800. The first
    /// differing byte is either a lead byte of both sides or a continuation byte of both, and
    /// continuation bytes are never EE/EF, so remapping those two values is enough.
    private static func compareUTF16(
        _ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>
    ) -> Int {
        let common = min(left.count, right.count)
        var position = 0
        while position < common {
            let x = left[position]
            let y = right[position]
            if x != y {
                return utf16OrderWeight(x) < utf16OrderWeight(y) ? -1 : 1
            }
            position += 1
        }
        return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
    }

    @inline(__always)
    private static func utf16OrderWeight(_ b: UInt8) -> UInt8 {
        // EE -> FE and EF -> FF: above F4, the largest lead byte of a supplementary character.
        b == 0xEE || b == 0xEF ? b &+ 0x10 : b
    }
}
