import CXXHash

/// XXH3-128 from libxxhash, the one place the engine calls it.
public enum KeyHasher {
    /// Hashes `bytes` with XXH3-128. Runs at memory speed (tens of GB/s); no allocation.
    @inlinable
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> CacheKey {
        let digest = XXH3_128bits(bytes.baseAddress, bytes.count)
        return CacheKey(high: digest.high64, low: digest.low64)
    }

    /// Hashes the contents of `bytes` with XXH3-128.
    @inlinable
    public static func hash(_ bytes: [UInt8]) -> CacheKey {
        bytes.withUnsafeBytes { hash($0) }
    }
}
