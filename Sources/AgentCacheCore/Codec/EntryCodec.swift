/// The binary form of an entry outside the process (the Redis tier): a small versioned
/// header, then the stored bytes.
///
/// Header, little-endian, `magic "AC"` and `version u8` first:
/// - Version 3 (written by `encode(_:key:)`): `flags u8 (bit 0: LZ4, bit 1: a cost follows)`,
///   `raw length u32`, `created-at ms i64`, `expires-at ms i64`, the entry's 128-bit key
///   (`high u64`, `low u64`), then, with bit 1, what the answer cost (`tokens i64`,
///   `nanodollars i64`, both at least 0 and not both 0): 40 or 56 bytes. The key is checked on
///   every read, so a value under another entry's name is a miss, never a wrong answer
///   (SPEC §2).
/// - Versions 1 and 2 (written before the key was kept; still read, by tools and tests):
///   `flags u8 (bit 0: LZ4)`, `raw length u32`, `created-at ms i64`, `expires-at ms i64`
///   (24 bytes), and for version 2 the cost (40 bytes). They carry no key, so the Redis tier
///   treats them as misses.
/// The stored-bytes length is what remains. Every header decodes to one entry and key that
/// encode back to the same bytes.
public enum EntryCodec {
    /// The version-1 header's length in bytes (no key, no cost).
    public static let headerLength = 24
    /// The version-2 header's length in bytes (no key, a cost).
    public static let costHeaderLength = 40
    /// The version-3 header's length without a cost (with one: 56).
    public static let keyedHeaderLength = 40
    /// The version written.
    public static let version: UInt8 = 3

    private static let flagLZ4: UInt8 = 1
    private static let flagCost: UInt8 = 2

    /// Serialises `entry` under `key` (version 3). One allocation of header + payload.
    public static func encode(_ entry: CacheEntry, key: CacheKey) -> [UInt8] {
        write(entry, key: key)
    }

    /// Serialises `entry` in the keyless versions 1 or 2 (what a previous release wrote), for
    /// tools and tests; the server writes `encode(_:key:)`.
    public static func encode(_ entry: CacheEntry) -> [UInt8] {
        write(entry, key: nil)
    }

    /// Both encodings: version 3 with `key`, versions 1 or 2 without.
    private static func write(_ entry: CacheEntry, key: CacheKey?) -> [UInt8] {
        let withCost = !entry.cost.isZero
        var out = [UInt8]()
        out.reserveCapacity(56 + entry.value.bytes.count)
        out.append(UInt8(ascii: "A"))
        out.append(UInt8(ascii: "C"))
        out.append(key != nil ? 3 : withCost ? 2 : 1)
        var flags: UInt8 = entry.value.encoding == .lz4 ? flagLZ4 : 0
        if key != nil, withCost { flags |= flagCost }
        out.append(flags)
        appendLE(UInt32(truncatingIfNeeded: entry.value.rawLength), to: &out)
        appendLE(UInt64(bitPattern: entry.createdAtMillis), to: &out)
        appendLE(UInt64(bitPattern: entry.expiresAtMillis), to: &out)
        if let key {
            appendLE(key.high, to: &out)
            appendLE(key.low, to: &out)
        }
        if withCost {
            appendLE(UInt64(bitPattern: entry.cost.tokens), to: &out)
            appendLE(UInt64(bitPattern: entry.cost.nanodollars), to: &out)
        }
        out.append(contentsOf: entry.value.bytes)
        return out
    }

    /// Parses bytes written by either `encode`: the entry, and its key (nil for the keyless
    /// versions). Anything else (foreign value, truncation, unknown version or flags, a raw
    /// length over `maxRawLength`, a raw payload whose length disagrees, a cost that is
    /// negative or zero) throws.
    public static func decode(_ bytes: some Collection<UInt8>, maxRawLength: Int) throws(CodecError) -> (entry: CacheEntry, key: CacheKey?) {
        let data = Array(bytes)
        guard data.count >= headerLength else { throw .badHeader("\(data.count) bytes is shorter than the header") }
        guard data[0] == UInt8(ascii: "A"), data[1] == UInt8(ascii: "C") else { throw .badHeader("no magic") }
        let flags = data[3]
        let hasKey: Bool
        let hasCost: Bool
        switch data[2] {
        case 1:
            hasKey = false
            hasCost = false
            guard flags & ~flagLZ4 == 0 else { throw .badHeader("unknown flags \(flags)") }
        case 2:
            hasKey = false
            hasCost = true
            guard flags & ~flagLZ4 == 0 else { throw .badHeader("unknown flags \(flags)") }
        case 3:
            hasKey = true
            hasCost = flags & flagCost != 0
            guard flags & ~(flagLZ4 | flagCost) == 0 else { throw .badHeader("unknown flags \(flags)") }
        case let other:
            throw .badHeader("unknown version \(other)")
        }
        let length = headerLength + (hasKey ? 16 : 0) + (hasCost ? 16 : 0)
        guard data.count >= length else { throw .badHeader("\(data.count) bytes is shorter than the version \(data[2]) header") }
        let rawLength = Int(readLE(data, at: 4, as: UInt32.self))
        guard rawLength <= maxRawLength else { throw .declaredLengthTooLarge(rawLength, limit: maxRawLength) }
        let created = Int64(bitPattern: readLE(data, at: 8, as: UInt64.self))
        let expires = Int64(bitPattern: readLE(data, at: 16, as: UInt64.self))
        var offset = headerLength
        var key: CacheKey?
        if hasKey {
            key = CacheKey(high: readLE(data, at: offset, as: UInt64.self), low: readLE(data, at: offset + 8, as: UInt64.self))
            offset += 16
        }
        var cost = AnswerCost.zero
        if hasCost {
            let tokens = Int64(bitPattern: readLE(data, at: offset, as: UInt64.self))
            let nanodollars = Int64(bitPattern: readLE(data, at: offset + 8, as: UInt64.self))
            guard tokens >= 0, nanodollars >= 0 else { throw .badHeader("negative cost (\(tokens) tokens, \(nanodollars) nanodollars)") }
            guard tokens != 0 || nanodollars != 0 else { throw .badHeader("a cost header without a cost") }
            guard tokens <= AnswerCost.maxTokens, nanodollars <= AnswerCost.maxNanodollars else {
                throw .badHeader("a cost past the bounds (\(tokens) tokens, \(nanodollars) nanodollars)")
            }
            cost = AnswerCost(tokens: tokens, nanodollars: nanodollars)
        }
        let payload = Array(data[length...])
        let encoding: StoredValue.Encoding = flags & flagLZ4 != 0 ? .lz4 : .raw
        if encoding == .raw, payload.count != rawLength {
            throw .badHeader("raw payload is \(payload.count) bytes, header says \(rawLength)")
        }
        let entry = CacheEntry(
            value: StoredValue(bytes: payload, encoding: encoding, rawLength: rawLength),
            createdAtMillis: created,
            expiresAtMillis: expires,
            cost: cost
        )
        return (entry, key)
    }

    private static func appendLE<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func readLE<T: FixedWidthInteger>(_ data: [UInt8], at offset: Int, as: T.Type) -> T {
        var value: T = 0
        for index in (0..<MemoryLayout<T>.size).reversed() {
            value = value << 8 | T(data[offset + index])
        }
        return value
    }
}
