/// A top-level object member with the byte range its value occupied in the input, so callers can
/// keep a value's original bytes without re-serialising it.
public struct JSONSpannedMember: Sendable {
    /// The member's name.
    public var key: String
    /// The member's value; nil for a member the parser was asked to validate only (its bytes are
    /// at `valueRange`).
    public var value: JSONValue?
    /// Offsets into the parsed bytes, from the value's first byte to just past its last
    /// (surrounding whitespace excluded).
    public var valueRange: Range<Int>

    /// Creates a spanned member; O(1).
    public init(key: String, value: JSONValue?, valueRange: Range<Int>) {
        self.key = key
        self.value = value
        self.valueRange = valueRange
    }
}

/// Strict RFC 8259 + I-JSON parser working directly on UTF-8 bytes; O(n) time, recursion bounded
/// by `maxDepth`. Instances exist only inside one `parse` call and hold the cursor state.
///
/// Numbers keep their exact value (SPEC §2): `.number` when a Double holds it, else `.decimal`.
/// A number that becomes a value may have at most `maxSignificantDigits` significant digits and
/// a decimal exponent within ±`maxDecimalExponent` (zero excepted: it is 0 at any exponent);
/// beyond that it is `numberOutOfRange`, so no number costs unbounded time or memory.
public struct JSONParser {
    /// Nesting limit used when callers do not pass one: deep enough for real payloads, shallow
    /// enough that the recursive descent cannot exhaust a thread's stack.
    public static let defaultMaxDepth = 32

    /// Most significant digits (leading and trailing zeros not counted) a parsed number may have.
    public static let maxSignificantDigits = 1000

    /// Largest decimal exponent, in scientific notation (`1e9999`, `1e-9999`), of a parsed number.
    public static let maxDecimalExponent = 9999

    private let buffer: UnsafeBufferPointer<UInt8>
    private let count: Int
    private let maxDepth: Int
    /// Top-level members (of `parseObjectWithSpans`) validated without being built.
    private var unparsedMembers: [String] = []
    /// When set, the only top-level members built; every other one is validated only.
    private var parsedOnlyMembers: [String]? = nil
    /// Nesting limit inside an unparsed member's value, counted from that value.
    private var unparsedMaxDepth = 0
    /// Positions, among the top-level members, of those left unparsed.
    private var unparsedPositions: [Int] = []
    private var index = 0
    /// Reused across escaped strings so decoding them costs one buffer, not one per string.
    private var scratch: [UInt8] = []

    private init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        // Raw input bytes are only ever read as UInt8, the type every byte buffer is bound to.
        buffer = bytes.assumingMemoryBound(to: UInt8.self)
        count = bytes.count
        self.maxDepth = maxDepth
    }

    // MARK: Entry points

    /// Parses a complete JSON text (RFC 8259, strict). O(n).
    public static func parse(
        _ bytes: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth
    ) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(enclosingDepth: 0)
        try parser.expectEnd()
        return value
    }

    /// Parses a complete JSON text (RFC 8259, strict). O(n).
    public static func parse(
        _ bytes: [UInt8], maxDepth: Int = defaultMaxDepth
    ) throws(JSONParseError) -> JSONValue {
        // Array.withUnsafeBytes only rethrows untyped errors, so carry the typed one out in a Result.
        try bytes.withUnsafeBytes { raw in
            Result { () throws(JSONParseError) -> JSONValue in try parse(raw, maxDepth: maxDepth) }
        }.get()
    }

    /// Checks that `bytes` is one JSON text exactly as `parse` would (same errors at the same
    /// offsets), numbers by grammar only, without building it; nesting costs heap, not stack.
    /// O(n). What `parseObjectWithSpans` does for its `unparsed` members.
    internal static func validate(_ bytes: UnsafeRawBufferPointer, maxDepth: Int) throws(JSONParseError) {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        try parser.skipValue(maxDepth: maxDepth)
        try parser.expectEnd()
    }

    /// Parses a JSON text that must be an object; returns its members with the byte ranges of
    /// their values (ranges are offsets into `bytes`). O(n).
    ///
    /// Members named in `unparsed` are validated just as strictly (grammar, UTF-8, escapes,
    /// duplicate keys; numbers of any size) but not built: their `value` is nil. That walk keeps
    /// an explicit stack, so they may nest `unparsedMaxDepth` levels (counted from the member's
    /// value) without using the thread's stack. A failure inside any member's value names the
    /// member (`JSONParseError.member`).
    public static func parseObjectWithSpans(
        _ bytes: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth,
        unparsed: [String] = [], unparsedMaxDepth: Int = defaultMaxDepth
    ) throws(JSONParseError) -> [JSONSpannedMember] {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.unparsedMembers = unparsed
        parser.unparsedMaxDepth = unparsedMaxDepth
        return try parser.parseTopLevelObject()
    }

    /// The top-level object of `parseObjectWithSpans`, its members with their value ranges.
    private mutating func parseTopLevelObject() throws(JSONParseError) -> [JSONSpannedMember] {
        skipWhitespace()
        guard index < count else { throw failure(.unexpectedEnd) }
        let first = buffer[index]
        guard first == .openBrace else {
            // Fail fast on any other value instead of parsing (possibly large) input we will reject.
            let kind: JSONParseError.Kind = Self.startsValue(first) ? .notAnObject : .unexpectedCharacter
            throw failure(kind, byte: first)
        }
        var spans: [Range<Int>]? = []
        let members = try parseMembers(depth: 1, spans: &spans)
        try expectEnd()
        let ranges = spans ?? []
        var result: [JSONSpannedMember] = []
        result.reserveCapacity(members.count)
        for position in members.indices {
            let value = unparsedPositions.contains(position) ? nil : members[position].value
            result.append(JSONSpannedMember(key: members[position].key, value: value, valueRange: ranges[position]))
        }
        return result
    }

    /// Parses a JSON text that must be an object; returns its members with the byte ranges of
    /// their values (ranges are offsets into `bytes`). O(n).
    public static func parseObjectWithSpans(
        _ bytes: [UInt8], maxDepth: Int = defaultMaxDepth,
        unparsed: [String] = [], unparsedMaxDepth: Int = defaultMaxDepth
    ) throws(JSONParseError) -> [JSONSpannedMember] {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(JSONParseError) -> [JSONSpannedMember] in
                try parseObjectWithSpans(raw, maxDepth: maxDepth, unparsed: unparsed, unparsedMaxDepth: unparsedMaxDepth)
            }
        }.get()
    }

    /// Parses a JSON text that must be an object, building only the members named in
    /// `parsingOnly`: every other member is validated as strictly but not built (its `value` is
    /// nil), nesting up to `skippedMaxDepth` levels without using the thread's stack. For reading
    /// a few members of a large document (a stored answer's `usage`). O(n).
    public static func parseObjectWithSpans(
        _ bytes: UnsafeRawBufferPointer, parsingOnly names: [String], skippedMaxDepth: Int, maxDepth: Int = defaultMaxDepth
    ) throws(JSONParseError) -> [JSONSpannedMember] {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.parsedOnlyMembers = names
        parser.unparsedMaxDepth = skippedMaxDepth
        return try parser.parseTopLevelObject()
    }

    private func isUnparsed(_ key: String) -> Bool {
        if let parsedOnlyMembers { return !Self.names(parsedOnlyMembers, contain: key) }
        guard !unparsedMembers.isEmpty else { return false }
        return Self.names(unparsedMembers, contain: key)
    }

    private static func names(_ names: [String], contain key: String) -> Bool {
        let length = key.utf8.count
        for name in names where name.utf8.count == length && name.jsonBytesEqual(key) {
            return true
        }
        return false
    }

    // MARK: Structure

    private mutating func parseValue(enclosingDepth: Int) throws(JSONParseError) -> JSONValue {
        guard index < count else { throw failure(.unexpectedEnd) }
        switch buffer[index] {
        case .openBrace:
            var noSpans: [Range<Int>]? = nil
            return .object(try parseMembers(depth: enclosingDepth + 1, spans: &noSpans))
        case .openBracket:
            return try parseArray(depth: enclosingDepth + 1)
        case .quote:
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case .minus, UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        case let other:
            throw failure(.unexpectedCharacter, byte: other)
        }
    }

    /// `depth` is this array's own nesting level (1 for a top-level array).
    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw failure(.tooDeep, detail: .depthLimit(maxDepth)) }
        index += 1
        skipWhitespace()
        if index < count && buffer[index] == .closeBracket {
            index += 1
            return .array([])
        }
        var elements: [JSONValue] = []
        while true {
            elements.append(try parseValue(enclosingDepth: depth))
            skipWhitespace()
            guard index < count else { throw failure(.unexpectedEnd) }
            let b = buffer[index]
            if b == .comma {
                index += 1
                skipWhitespace()
            } else if b == .closeBracket {
                index += 1
                return .array(elements)
            } else {
                throw failure(.unexpectedCharacter, byte: b)
            }
        }
    }

    /// Parses an object at `index` (its `{`). `depth` is its own nesting level. When `spans` is
    /// non-nil the byte range of every member value is appended to it, in member order.
    private mutating func parseMembers(
        depth: Int, spans: inout [Range<Int>]?
    ) throws(JSONParseError) -> [JSONMember] {
        guard depth <= maxDepth else { throw failure(.tooDeep, detail: .depthLimit(maxDepth)) }
        index += 1
        skipWhitespace()
        if index < count && buffer[index] == .closeBrace {
            index += 1
            return []
        }
        var members: [JSONMember] = []
        var seenKeys: Set<KeyBytes>? = nil
        while true {
            guard index < count else { throw failure(.unexpectedEnd) }
            guard buffer[index] == .quote else { throw failure(.unexpectedCharacter, byte: buffer[index]) }
            let keyStart = index
            let key = try parseString()
            try checkNotDuplicate(key, at: keyStart, among: members.lazy.map { $0.key }, seenKeys: &seenKeys)
            try expectColon()
            let valueStart = index
            let value: JSONValue
            do {
                if spans != nil && isUnparsed(key) {
                    try skipValue(maxDepth: unparsedMaxDepth)
                    unparsedPositions.append(members.count)
                    value = .null  // placeholder: parseObjectWithSpans reports nil
                } else {
                    value = try parseValue(enclosingDepth: depth)
                }
            } catch {
                // Only the top level (the one with spans) names the member a failure was in.
                guard spans != nil else { throw error }
                var named = error
                named.member = key
                throw named
            }
            spans?.append(valueStart..<index)
            members.append(JSONMember(key: key, value: value))
            skipWhitespace()
            guard index < count else { throw failure(.unexpectedEnd) }
            let b = buffer[index]
            if b == .comma {
                index += 1
                skipWhitespace()
            } else if b == .closeBrace {
                index += 1
                return members
            } else {
                throw failure(.unexpectedCharacter, byte: b)
            }
        }
    }

    /// Small objects are checked by a linear scan (cheaper than hashing); past this many members a
    /// set takes over so a hostile object with many keys stays O(n) rather than O(n²).
    private static var linearKeyScanLimit: Int { 16 }

    /// Throws `duplicateKey` if `key` is among `keys` (the object's earlier keys, in order), which
    /// are scanned while few; past `linearKeyScanLimit` they move into `seenKeys`, after which
    /// only that set is read.
    private func checkNotDuplicate(
        _ key: String, at keyStart: Int, among keys: some Collection<String>, seenKeys: inout Set<KeyBytes>?
    ) throws(JSONParseError) {
        if seenKeys == nil {
            if keys.count < Self.linearKeyScanLimit {
                for earlier in keys where earlier.jsonBytesEqual(key) {
                    throw failure(.duplicateKey, at: keyStart, detail: .key(key))
                }
                return
            }
            var set = Set<KeyBytes>(minimumCapacity: keys.count * 2)
            for earlier in keys {
                set.insert(KeyBytes(earlier))
            }
            seenKeys = set
        }
        if seenKeys?.insert(KeyBytes(key)).inserted == false {
            throw failure(.duplicateKey, at: keyStart, detail: .key(key))
        }
    }

    /// Hashes and compares by UTF-8 bytes: `String`'s own Hashable uses canonical equivalence,
    /// which would report "é" and "e\u{301}" as duplicates although JSON treats them as distinct.
    private struct KeyBytes: Hashable {
        let key: String

        init(_ key: String) { self.key = key }

        static func == (lhs: KeyBytes, rhs: KeyBytes) -> Bool {
            lhs.key.jsonBytesEqual(rhs.key)
        }

        func hash(into hasher: inout Hasher) {
            var copy = key
            copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    /// Expects optional whitespace, `:` and optional whitespace after a member name.
    @inline(__always)
    private mutating func expectColon() throws(JSONParseError) {
        skipWhitespace()
        guard index < count else { throw failure(.unexpectedEnd) }
        guard buffer[index] == .colon else { throw failure(.unexpectedCharacter, byte: buffer[index]) }
        index += 1
        skipWhitespace()
    }

    // MARK: Validation without building

    /// The keys of one open object during `skipValue`, for the duplicate check.
    private struct KeyLog {
        var keys: [String] = []
        var seen: Set<KeyBytes>?
    }

    /// Moves past the value at `index`, checking it as strictly as `parseValue` would (numbers
    /// by grammar only) without building it, and at most `maxDepth` levels deep. An explicit
    /// stack instead of recursion: depth costs heap (a byte and, per object, its keys), never
    /// thread stack. O(n).
    private mutating func skipValue(maxDepth: Int) throws(JSONParseError) {
        var containers: [UInt8] = []  // the closing byte of each open container, innermost last
        var objects: [KeyLog] = []  // one per open object, innermost last
        while true {
            // A value starts at `index`.
            guard index < count else { throw failure(.unexpectedEnd) }
            switch buffer[index] {
            case let open where open == .openBrace || open == .openBracket:
                guard containers.count < maxDepth else { throw failure(.tooDeep, detail: .depthLimit(maxDepth)) }
                let close: UInt8 = open == .openBrace ? .closeBrace : .closeBracket
                index += 1
                skipWhitespace()
                if index < count && buffer[index] == close {
                    index += 1
                    break  // an empty container is a whole value
                }
                containers.append(close)
                if close == .closeBrace {
                    objects.append(KeyLog())
                    try skipMemberName(into: &objects[objects.count - 1])
                }
                continue
            case .quote:
                _ = try skipString()
            case UInt8(ascii: "t"):
                try expectLiteral("true")
            case UInt8(ascii: "f"):
                try expectLiteral("false")
            case UInt8(ascii: "n"):
                try expectLiteral("null")
            case .minus, UInt8(ascii: "0")...UInt8(ascii: "9"):
                _ = try scanNumber()
            case let other:
                throw failure(.unexpectedCharacter, byte: other)
            }
            // A value ended: close what it ends, or move on to the next element or member.
            while true {
                guard let close = containers.last else { return }
                skipWhitespace()
                guard index < count else { throw failure(.unexpectedEnd) }
                let b = buffer[index]
                if b == .comma {
                    index += 1
                    skipWhitespace()
                    if close == .closeBrace { try skipMemberName(into: &objects[objects.count - 1]) }
                    break
                } else if b == close {
                    index += 1
                    containers.removeLast()
                    if close == .closeBrace { objects.removeLast() }
                } else {
                    throw failure(.unexpectedCharacter, byte: b)
                }
            }
        }
    }

    /// Reads a member name and its `:` inside `skipValue`, checking it against the object's keys.
    private mutating func skipMemberName(into log: inout KeyLog) throws(JSONParseError) {
        guard index < count else { throw failure(.unexpectedEnd) }
        guard buffer[index] == .quote else { throw failure(.unexpectedCharacter, byte: buffer[index]) }
        let keyStart = index
        let key = try parseString()
        try checkNotDuplicate(key, at: keyStart, among: log.keys, seenKeys: &log.seen)
        if log.seen == nil { log.keys.append(key) }
        try expectColon()
    }

    private mutating func expectEnd() throws(JSONParseError) {
        skipWhitespace()
        if index < count {
            throw failure(.trailingCharacters, byte: buffer[index])
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let length = literal.utf8CodeUnitCount
        let expected = literal.utf8Start
        for k in 0..<length {
            let position = index + k
            guard position < count else { throw failure(.unexpectedEnd, at: count) }
            let b = buffer[position]
            guard b == expected[k] else { throw failure(.unexpectedCharacter, at: position, byte: b) }
        }
        index += length
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while index < count {
            switch buffer[index] {
            case 0x20, 0x09, 0x0A, 0x0D:
                index += 1
            default:
                return
            }
        }
    }

    private static func startsValue(_ b: UInt8) -> Bool {
        switch b {
        case .openBrace, .openBracket, .quote, .minus,
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            return true
        default:
            return false
        }
    }

    // MARK: Strings

    /// Parses the string whose opening quote is at `index`. Strings without escapes (the common
    /// case) become a `String` straight from the input bytes after validation.
    private mutating func parseString() throws(JSONParseError) -> String {
        let start = index + 1
        if try skipString() {
            return String(decoding: scratch, as: UTF8.self)
        }
        return String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<index - 1]), as: UTF8.self)
    }

    /// Moves past the string whose opening quote is at `index`, validating it. Returns whether it
    /// held escapes; if so its decoded bytes are in `scratch`, else they are the input between
    /// the quotes.
    private mutating func skipString() throws(JSONParseError) -> Bool {
        index += 1
        let start = index
        while true {
            skipPlainASCIIWords()
            guard index < count else { throw failure(.unexpectedEnd, at: count) }
            let b = buffer[index]
            if b == .quote {
                index += 1
                return false
            } else if b == .backslash {
                try decodeEscapedString(from: start)
                return true
            } else if b < 0x20 {
                throw failure(.invalidString, byte: b)
            } else if b < 0x80 {
                index += 1
            } else {
                index = try endOfUTF8Scalar(at: index)
            }
        }
    }

    /// Skips 8 bytes at a time while none of them is a quote, backslash, control or non-ASCII
    /// byte; those are the only bytes inside a string that need individual attention.
    @inline(__always)
    private mutating func skipPlainASCIIWords() {
        guard let base = buffer.baseAddress else { return }
        let raw = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while count - index >= 8 {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            // Classic "has a zero byte" / "has a byte less than n" bit tricks: they can give false
            // positives after a real hit but never false negatives, so skipping on 0 is safe.
            let quotes = word ^ (ones &* 0x22)
            let backslashes = word ^ (ones &* 0x5C)
            let hasQuote = (quotes &- ones) & ~quotes & highs
            let hasBackslash = (backslashes &- ones) & ~backslashes & highs
            let hasControl = (word &- ones &* 0x20) & ~word & highs
            if (hasQuote | hasBackslash | hasControl | (word & highs)) != 0 { return }
            index += 8
        }
    }

    /// Slow path once a backslash appears: decodes into `scratch`, copying unescaped runs in bulk,
    /// and moves past the closing quote.
    private mutating func decodeEscapedString(from start: Int) throws(JSONParseError) {
        scratch.removeAll(keepingCapacity: true)
        var runStart = start
        while true {
            guard index < count else { throw failure(.unexpectedEnd, at: count) }
            let b = buffer[index]
            if b == .quote || b == .backslash {
                if runStart < index {
                    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[runStart..<index]))
                }
                if b == .quote {
                    index += 1
                    return
                }
                try decodeEscape()
                runStart = index
            } else if b < 0x20 {
                throw failure(.invalidString, byte: b)
            } else if b < 0x80 {
                index += 1
            } else {
                index = try endOfUTF8Scalar(at: index)
            }
        }
    }

    /// Decodes the escape whose backslash is at `index` into `scratch` and moves past it.
    private mutating func decodeEscape() throws(JSONParseError) {
        let escapeStart = index
        guard index + 1 < count else { throw failure(.unexpectedEnd, at: count) }
        let letter = buffer[index + 1]
        index += 2
        switch letter {
        case .quote, .backslash, UInt8(ascii: "/"):
            scratch.append(letter)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try readHex4(escapeStart: escapeStart)
            if scalar >= 0xDC00 && scalar <= 0xDFFF {
                throw failure(.loneSurrogate, at: escapeStart)
            }
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                // A high surrogate is only meaningful as the first half of a `\uD8xx\uDCxx` pair.
                if index < count && buffer[index] != .backslash {
                    throw failure(.loneSurrogate, at: escapeStart)
                }
                if index + 1 < count && buffer[index + 1] != UInt8(ascii: "u") {
                    throw failure(.loneSurrogate, at: escapeStart)
                }
                guard index + 1 < count else { throw failure(.unexpectedEnd, at: count) }
                index += 2
                let low = try readHex4(escapeStart: index - 2)
                guard low >= 0xDC00 && low <= 0xDFFF else {
                    throw failure(.loneSurrogate, at: escapeStart)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            appendUTF8(scalar)
        default:
            throw failure(.invalidEscape, at: escapeStart)
        }
    }

    private mutating func readHex4(escapeStart: Int) throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < count else { throw failure(.unexpectedEnd, at: count) }
            let b = buffer[index]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw failure(.invalidEscape, at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// `scalar` is a valid Unicode scalar (surrogates were combined or rejected by the caller).
    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(truncatingIfNeeded: scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(truncatingIfNeeded: 0xC0 | scalar >> 6))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(truncatingIfNeeded: 0xE0 | scalar >> 12))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(truncatingIfNeeded: 0xF0 | scalar >> 18))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
        }
    }

    /// Validates the multi-byte UTF-8 sequence starting at `start` (lead byte >= 0x80) and returns
    /// the offset just past it. Follows Unicode Table 3-7, so overlong forms, UTF-8-encoded
    /// surrogates, scalars above U+10FFFF and truncated sequences are all rejected.
    private func endOfUTF8Scalar(at start: Int) throws(JSONParseError) -> Int {
        let lead = buffer[start]
        let continuationCount: Int
        var secondLow: UInt8 = 0x80
        var secondHigh: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF:
            continuationCount = 1
        case 0xE0:
            continuationCount = 2
            secondLow = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF:
            continuationCount = 2
        case 0xED:
            continuationCount = 2
            secondHigh = 0x9F
        case 0xF0:
            continuationCount = 3
            secondLow = 0x90
        case 0xF1...0xF3:
            continuationCount = 3
        case 0xF4:
            continuationCount = 3
            secondHigh = 0x8F
        default:
            throw failure(.invalidUTF8, at: start)
        }
        guard start + continuationCount < count else { throw failure(.invalidUTF8, at: start) }
        let second = buffer[start + 1]
        guard second >= secondLow && second <= secondHigh else { throw failure(.invalidUTF8, at: start) }
        var k = 2
        while k <= continuationCount {
            guard buffer[start + k] & 0xC0 == 0x80 else { throw failure(.invalidUTF8, at: start) }
            k += 1
        }
        return start + continuationCount + 1
    }

    // MARK: Numbers

    /// Exact powers of ten representable in a Double (10^22 is the largest).
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// What `scanNumber` read: the number is ±(the significant digits) × 10^(exponent − fractionDigits).
    private struct NumberScan {
        /// Offset of the number's first byte (its `-`, if any).
        var start: Int
        var negative: Bool
        /// The first 19 significant digits as an integer (0 only when every digit is 0).
        var mantissa: UInt64
        /// Digits from the first non-zero one to the last one before the exponent.
        var significantDigits: Int
        /// How many of those are zeros at the end.
        var trailingZeros: Int
        /// Digits after the decimal point.
        var fractionDigits: Int
        /// The exponent part, saturated at ±1_000_000_000 (far past any number that is kept).
        var exponent: Int
    }

    /// Validates the RFC 8259 number grammar at `index` and moves past it; O(length), no allocation.
    private mutating func scanNumber() throws(JSONParseError) -> NumberScan {
        let start = index
        var i = index
        let negative = buffer[i] == .minus
        if negative { i += 1 }

        var mantissa: UInt64 = 0
        var significantDigits = 0
        var trailingZeros = 0
        @inline(__always) func accumulate(_ digit: UInt8) {
            if mantissa == 0 && digit == 0 { return }
            significantDigits += 1
            trailingZeros = digit == 0 ? trailingZeros + 1 : 0
            if significantDigits <= 19 {
                mantissa = mantissa &* 10 &+ UInt64(digit)
            }
        }

        guard i < count else { throw failure(.invalidNumber, at: start) }
        let first = buffer[i]
        if first == UInt8(ascii: "0") {
            i += 1
            if i < count && buffer[i].isASCIIDigit {
                throw failure(.invalidNumber, at: start)
            }
        } else if first.isASCIIDigit {
            while i < count && buffer[i].isASCIIDigit {
                accumulate(buffer[i] &- UInt8(ascii: "0"))
                i += 1
            }
        } else {
            throw failure(.invalidNumber, at: start)
        }

        var fractionDigits = 0
        if i < count && buffer[i] == UInt8(ascii: ".") {
            i += 1
            let fractionStart = i
            while i < count && buffer[i].isASCIIDigit {
                accumulate(buffer[i] &- UInt8(ascii: "0"))
                i += 1
            }
            fractionDigits = i - fractionStart
            guard fractionDigits > 0 else { throw failure(.invalidNumber, at: start) }
        }

        var exponent = 0
        if i < count && (buffer[i] == UInt8(ascii: "e") || buffer[i] == UInt8(ascii: "E")) {
            i += 1
            var exponentNegative = false
            if i < count && (buffer[i] == .minus || buffer[i] == UInt8(ascii: "+")) {
                exponentNegative = buffer[i] == .minus
                i += 1
            }
            let exponentStart = i
            while i < count && buffer[i].isASCIIDigit {
                // Saturate so hostile input cannot overflow Int; past the bound nothing is kept.
                exponent = min(exponent * 10 + Int(buffer[i] &- UInt8(ascii: "0")), 1_000_000_000)
                i += 1
            }
            guard i > exponentStart else { throw failure(.invalidNumber, at: start) }
            if exponentNegative { exponent = -exponent }
        }
        index = i
        return NumberScan(
            start: start, negative: negative, mantissa: mantissa, significantDigits: significantDigits,
            trailingZeros: trailingZeros, fractionDigits: fractionDigits, exponent: exponent
        )
    }

    /// Parses the number at `index` into `.number` when a Double holds it exactly, else `.decimal`.
    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let number = try scanNumber()
        if number.mantissa == 0 {
            return .number(number.negative ? -0.0 : 0.0)
        }
        let scale = number.exponent - number.fractionDigits
        let digitCount = number.significantDigits - number.trailingZeros
        // Clinger's fast path: an integer below 2^53 and a power of ten up to 10^22 are both exact
        // Doubles, so one IEEE multiply or divide yields the correctly rounded result. That result
        // holds the number exactly when it has at most 15 significant digits (distinct such
        // decimals round to distinct Doubles, DBL_DIG) or is an integer of at most 2^53.
        if number.significantDigits <= 19 && number.mantissa <= 1 << 53 && scale >= -22 && scale <= 22
            && (digitCount <= 15 || scale == 0)
        {
            let m = Double(number.mantissa)
            let magnitude = scale >= 0
                ? m * Self.exactPowersOfTen[scale]
                : m / Self.exactPowersOfTen[-scale]
            return .number(number.negative ? -magnitude : magnitude)
        }
        return try parseRareNumber(number, digitCount: digitCount)
    }

    /// A number off the fast path: checked against the limits, its significant digits gathered,
    /// then `CanonicalJSON.number` decides between `.number` and `.decimal`.
    private func parseRareNumber(_ number: NumberScan, digitCount: Int) throws(JSONParseError) -> JSONValue {
        guard digitCount <= Self.maxSignificantDigits else {
            throw failure(.numberOutOfRange, at: number.start, detail: .digitLimit(Self.maxSignificantDigits))
        }
        // The number is 0.d1…dk × 10^point.
        let point = number.significantDigits + number.exponent - number.fractionDigits
        guard (point - 1).magnitude <= Self.maxDecimalExponent else {
            throw failure(.numberOutOfRange, at: number.start, detail: .exponentLimit(Self.maxDecimalExponent))
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: digitCount) { digits in
            var written = 0
            var position = number.start
            while written < digitCount {
                let b = buffer[position]
                position += 1
                // Skips the sign, the point and the zeros before the first significant digit.
                guard b.isASCIIDigit, written > 0 || b != UInt8(ascii: "0") else { continue }
                digits[written] = b
                written += 1
            }
            return CanonicalJSON.number(negative: number.negative, digits: UnsafeBufferPointer(digits), point: point)
        }
    }

    // MARK: Errors

    private func failure(
        _ kind: JSONParseError.Kind, at offset: Int? = nil, byte: UInt8
    ) -> JSONParseError {
        JSONParseError(kind: kind, offset: offset ?? index, detail: .byte(byte))
    }

    private func failure(
        _ kind: JSONParseError.Kind, at offset: Int? = nil, detail: JSONParseError.Detail = .none
    ) -> JSONParseError {
        JSONParseError(kind: kind, offset: offset ?? index, detail: detail)
    }
}

extension UInt8 {
    // Computed rather than stored so they fold to constants instead of lazily initialised globals.
    fileprivate static var quote: UInt8 { 0x22 }
    fileprivate static var backslash: UInt8 { 0x5C }
    fileprivate static var openBrace: UInt8 { 0x7B }
    fileprivate static var closeBrace: UInt8 { 0x7D }
    fileprivate static var openBracket: UInt8 { 0x5B }
    fileprivate static var closeBracket: UInt8 { 0x5D }
    fileprivate static var comma: UInt8 { 0x2C }
    fileprivate static var colon: UInt8 { 0x3A }
    fileprivate static var minus: UInt8 { 0x2D }

    fileprivate var isASCIIDigit: Bool { self &- 0x30 < 10 }
}
