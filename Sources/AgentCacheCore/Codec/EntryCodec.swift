/// The binary form of an entry outside the process (the Redis tier): a small versioned
/// header, then the stored bytes.
///
/// Header, little-endian, 24 bytes:
/// `magic "AC"`, `version u8 (1)`, `flags u8 (bit 0: LZ4)`, `raw length u32`,
/// `created-at ms i64`, `expires-at ms i64`. The stored-bytes length is what remains.
public enum EntryCodec {
    /// The header's length in bytes.
    public static let headerLength = 24
    /// The format version written and the only one read.
    public static let version: UInt8 = 1

    private static let flagLZ4: UInt8 = 1

    /// Serialises `entry`. One allocation of header + payload.
    public static func encode(_ entry: CacheEntry) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(headerLength + entry.value.bytes.count)
        out.append(UInt8(ascii: "A"))
        out.append(UInt8(ascii: "C"))
        out.append(version)
        out.append(entry.value.encoding == .lz4 ? flagLZ4 : 0)
        appendLE(UInt32(truncatingIfNeeded: entry.value.rawLength), to: &out)
        appendLE(UInt64(bitPattern: entry.createdAtMillis), to: &out)
        appendLE(UInt64(bitPattern: entry.expiresAtMillis), to: &out)
        out.append(contentsOf: entry.value.bytes)
        return out
    }

    /// Parses bytes written by `encode`. Anything else (foreign value, truncation, unknown
    /// version, a raw length over `maxRawLength`, a raw payload whose length disagrees) throws.
    public static func decode(_ bytes: some Collection<UInt8>, maxRawLength: Int) throws(CodecError) -> CacheEntry {
        let data = Array(bytes)
        guard data.count >= headerLength else { throw .badHeader("\(data.count) bytes is shorter than the header") }
        guard data[0] == UInt8(ascii: "A"), data[1] == UInt8(ascii: "C") else { throw .badHeader("no magic") }
        guard data[2] == version else { throw .badHeader("unknown version \(data[2])") }
        let flags = data[3]
        guard flags & ~flagLZ4 == 0 else { throw .badHeader("unknown flags \(flags)") }
        let rawLength = Int(readLE(data, at: 4, as: UInt32.self))
        guard rawLength <= maxRawLength else { throw .declaredLengthTooLarge(rawLength, limit: maxRawLength) }
        let created = Int64(bitPattern: readLE(data, at: 8, as: UInt64.self))
        let expires = Int64(bitPattern: readLE(data, at: 16, as: UInt64.self))
        let payload = Array(data[headerLength...])
        let encoding: StoredValue.Encoding = flags & flagLZ4 != 0 ? .lz4 : .raw
        if encoding == .raw, payload.count != rawLength {
            throw .badHeader("raw payload is \(payload.count) bytes, header says \(rawLength)")
        }
        return CacheEntry(
            value: StoredValue(bytes: payload, encoding: encoding, rawLength: rawLength),
            createdAtMillis: created,
            expiresAtMillis: expires
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
