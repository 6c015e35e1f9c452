import CLZ4

/// liblz4 block compression, the one place the engine calls it.
/// Decompression is bounded: the caller states the raw length and a ceiling, so a
/// corrupt block or a lying header is an error, never a crash or a huge allocation.
public enum LZ4Codec {
    /// The largest raw length liblz4 can compress in one block (~2 GiB).
    public static let maxInputSize = Int(LZ4_MAX_INPUT_SIZE)

    /// Compresses `raw` into a new buffer. O(n) at several hundred MB/s; one allocation of
    /// LZ4_compressBound(n) bytes, trimmed. Returns nil when the input is too large for a block.
    public static func compress(_ raw: UnsafeRawBufferPointer) -> [UInt8]? {
        guard raw.count <= maxInputSize else { return nil }
        let bound = Int(LZ4_compressBound(Int32(raw.count)))
        guard bound > 0 else { return nil }
        var written = 0
        var output = [UInt8](unsafeUninitializedCapacity: bound) { buffer, initialized in
            let result = LZ4_compress_default(
                raw.baseAddress?.assumingMemoryBound(to: CChar.self),
                UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self),
                Int32(raw.count),
                Int32(bound)
            )
            written = Int(result)
            initialized = max(0, written)
        }
        guard written > 0 || raw.isEmpty else { return nil }
        if output.capacity - output.count > 64 {
            output = Array(output)  // drop the unused tail of the compress bound
        }
        return output
    }

    /// Decompresses `compressed`, which must expand to exactly `rawLength` bytes.
    /// Throws when `rawLength` exceeds `maxRawLength`, or the block is corrupt or the wrong size.
    public static func decompress(
        _ compressed: UnsafeRawBufferPointer,
        rawLength: Int,
        maxRawLength: Int
    ) throws(CodecError) -> [UInt8] {
        guard rawLength >= 0, rawLength <= maxRawLength, rawLength <= maxInputSize else {
            throw CodecError.declaredLengthTooLarge(rawLength, limit: maxRawLength)
        }
        guard compressed.count <= Int(Int32.max) else { throw CodecError.corrupt }
        if rawLength == 0 {
            return []
        }
        var produced = -1
        let output = [UInt8](unsafeUninitializedCapacity: rawLength) { buffer, initialized in
            produced = Int(
                LZ4_decompress_safe(
                    compressed.baseAddress?.assumingMemoryBound(to: CChar.self),
                    UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self),
                    Int32(compressed.count),
                    Int32(rawLength)
                )
            )
            initialized = max(0, produced)
        }
        guard produced == rawLength else { throw CodecError.corrupt }
        return output
    }
}
