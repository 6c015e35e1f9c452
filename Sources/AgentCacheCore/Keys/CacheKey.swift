/// The 128-bit identity of a cache entry: XXH3-128 of the entry's canonical key material.
/// Two words, so hashing and equality are a couple of integer operations.
public struct CacheKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// High 64 bits of the XXH3-128 digest.
    public var high: UInt64
    /// Low 64 bits of the XXH3-128 digest.
    public var low: UInt64

    /// Makes a key from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The digest's bits are already uniform, so one word is a good enough hash.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(low)
    }

    public static func < (lhs: CacheKey, rhs: CacheKey) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// 32 lowercase hex digits, high word first (the canonical XXH128 display order).
    public var hex: String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            Self.writeHex(high, into: buffer, at: 0)
            Self.writeHex(low, into: buffer, at: 16)
            return 32
        }
    }

    public var description: String { hex }

    /// Parses 32 hex digits (either case) back into a key; nil when malformed.
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 32 else { return nil }
        var words: [UInt64] = [0, 0]
        for (index, char) in utf8.enumerated() {
            guard let nibble = Hex.digitValue(char) else { return nil }
            words[index / 16] = words[index / 16] << 4 | UInt64(nibble)
        }
        self.init(high: words[0], low: words[1])
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func writeHex(_ word: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) {
        for index in 0..<16 {
            let shift = UInt64(60 - index * 4)
            buffer[start + index] = digits[Int((word >> shift) & 0xF)]
        }
    }

}
