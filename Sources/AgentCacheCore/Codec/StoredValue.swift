/// A value as a tier holds it: raw, or LZ4-compressed with its raw length.
/// Small or incompressible values stay raw so a hit on them costs no decompression.
public struct StoredValue: Sendable, Equatable {
    /// How `bytes` encode the value.
    public enum Encoding: UInt8, Sendable {
        case raw = 0
        case lz4 = 1
    }

    /// Default: values under this many bytes are not worth compressing.
    public static let defaultCompressionThreshold = 256

    /// The stored bytes (raw or compressed).
    public let bytes: [UInt8]
    /// How `bytes` encode the value.
    public let encoding: Encoding
    /// The value's length once decoded.
    public let rawLength: Int

    /// Wraps already-encoded bytes (e.g. read back from Redis).
    public init(bytes: [UInt8], encoding: Encoding, rawLength: Int) {
        self.bytes = bytes
        self.encoding = encoding
        self.rawLength = rawLength
    }

    /// Encodes `raw`, compressing it when it is at least `threshold` bytes and LZ4 saves at
    /// least 1/8 of it. Cost: one LZ4 pass over values past the threshold.
    public init(encoding raw: [UInt8], compressionThreshold threshold: Int = defaultCompressionThreshold) {
        if raw.count >= threshold,
            let compressed = raw.withUnsafeBytes({ LZ4Codec.compress($0) }),
            compressed.count <= raw.count - raw.count / 8
        {
            self.init(bytes: compressed, encoding: .lz4, rawLength: raw.count)
        } else {
            self.init(bytes: raw, encoding: .raw, rawLength: raw.count)
        }
    }

    /// The value's raw bytes. Free for raw values; one bounded LZ4 pass for compressed ones.
    public func decoded(maxRawLength: Int = Int(Int32.max)) throws(CodecError) -> [UInt8] {
        switch encoding {
        case .raw:
            return bytes
        case .lz4:
            let result = bytes.withUnsafeBytes { buffer in
                Result { () throws(CodecError) -> [UInt8] in
                    try LZ4Codec.decompress(buffer, rawLength: rawLength, maxRawLength: maxRawLength)
                }
            }
            return try result.get()
        }
    }
}
