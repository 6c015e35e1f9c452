/// The binary form of an entry outside the process (the Redis tier): a small versioned
/// header, then the stored bytes.
///
/// Header, little-endian. Version 1, 24 bytes: `magic "AC"`, `version u8 (1)`,
/// `flags u8 (bit 0: LZ4)`, `raw length u32`, `created-at ms i64`, `expires-at ms i64`.
/// Version 2, 40 bytes: the same with version 2, then what the answer cost (`AnswerCost`):
/// `tokens i64`, `nanodollars i64`, both at least 0 and not both 0. The stored-bytes length is
/// what remains.
///
/// An entry without a cost is written as version 1, which the previous release reads too, so
/// every entry has exactly one encoding (decoding then encoding gives the bytes back); an entry
/// with one is written as version 2, which a previous release reads as a miss.
public enum EntryCodec {
    /// The version-1 header's length in bytes (an entry without a cost).
    public static let headerLength = 24
    /// The version-2 header's length in bytes (an entry with a cost).
    public static let costHeaderLength = 40
    /// The newest format version; entries without a cost are still written as version 1.
    public static let version: UInt8 = 2

    private static let flagLZ4: UInt8 = 1

    /// Serialises `entry`. One allocation of header + payload.
    public static func encode(_ entry: CacheEntry) -> [UInt8] {
        let withCost = !entry.cost.isZero
        var out = [UInt8]()
        out.reserveCapacity((withCost ? costHeaderLength : headerLength) + entry.value.bytes.count)
        out.append(UInt8(ascii: "A"))
        out.append(UInt8(ascii: "C"))
        out.append(withCost ? 2 : 1)
        out.append(entry.value.encoding == .lz4 ? flagLZ4 : 0)
        appendLE(UInt32(truncatingIfNeeded: entry.value.rawLength), to: &out)
        appendLE(UInt64(bitPattern: entry.createdAtMillis), to: &out)
        appendLE(UInt64(bitPattern: entry.expiresAtMillis), to: &out)
        if withCost {
            appendLE(UInt64(bitPattern: entry.cost.tokens), to: &out)
            appendLE(UInt64(bitPattern: entry.cost.nanodollars), to: &out)
        }
        out.append(contentsOf: entry.value.bytes)
        return out
    }

    /// Parses bytes written by `encode`, either version. Anything else (foreign value,
    /// truncation, unknown version, a raw length over `maxRawLength`, a raw payload whose
    /// length disagrees, a version-2 cost that is negative or zero) throws.
    public static func decode(_ bytes: some Collection<UInt8>, maxRawLength: Int) throws(CodecError) -> CacheEntry {
        let data = Array(bytes)
        guard data.count >= headerLength else { throw .badHeader("\(data.count) bytes is shorter than the header") }
        guard data[0] == UInt8(ascii: "A"), data[1] == UInt8(ascii: "C") else { throw .badHeader("no magic") }
        let length: Int
        switch data[2] {
        case 1: length = headerLength
        case 2: length = costHeaderLength
        case let other: throw .badHeader("unknown version \(other)")
        }
        guard data.count >= length else { throw .badHeader("\(data.count) bytes is shorter than the version \(data[2]) header") }
        let flags = data[3]
        guard flags & ~flagLZ4 == 0 else { throw .badHeader("unknown flags \(flags)") }
        let rawLength = Int(readLE(data, at: 4, as: UInt32.self))
        guard rawLength <= maxRawLength else { throw .declaredLengthTooLarge(rawLength, limit: maxRawLength) }
        let created = Int64(bitPattern: readLE(data, at: 8, as: UInt64.self))
        let expires = Int64(bitPattern: readLE(data, at: 16, as: UInt64.self))
        var cost = AnswerCost.zero
        if length == costHeaderLength {
            let tokens = Int64(bitPattern: readLE(data, at: 24, as: UInt64.self))
            let nanodollars = Int64(bitPattern: readLE(data, at: 32, as: UInt64.self))
            guard tokens >= 0, nanodollars >= 0 else { throw .badHeader("negative cost (\(tokens) tokens, \(nanodollars) nanodollars)") }
            guard tokens != 0 || nanodollars != 0 else { throw .badHeader("a version 2 header without a cost") }
            cost = AnswerCost(tokens: tokens, nanodollars: nanodollars)
        }
        let payload = Array(data[length...])
        let encoding: StoredValue.Encoding = flags & flagLZ4 != 0 ? .lz4 : .raw
        if encoding == .raw, payload.count != rawLength {
            throw .badHeader("raw payload is \(payload.count) bytes, header says \(rawLength)")
        }
        return CacheEntry(
            value: StoredValue(bytes: payload, encoding: encoding, rawLength: rawLength),
            createdAtMillis: created,
            expiresAtMillis: expires,
            cost: cost
        )
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
