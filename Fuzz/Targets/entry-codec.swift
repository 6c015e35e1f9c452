import AgentCacheCore

/// The largest value a decode may produce here (the engine's maxValueBytes plays this role).
private let valueLimit = 1 << 20
/// What a Redis value's header may claim, as RedisTier's default allows (1 GiB): decoding the
/// header must not allocate it; only `decoded(maxRawLength:)` may, up to `valueLimit`.
private let headerLimit = 1 << 30

/// Stored bytes from Redis and LZ4 blocks, both hostile. `EntryCodec.decode` takes only what
/// `encode` writes (so re-encoding gives the input back); an accepted entry's value decodes to
/// exactly its raw length or is refused; an LZ4 block that declares more than the limit (a
/// bomb) is refused before anything is allocated (scripts/fuzz caps allocations with
/// -malloc_limit_mb); and `StoredValue(encoding:)` round-trips the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEntryCodec(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)

    if let (entry, key) = try? EntryCodec.decode(input, maxRawLength: headerLimit) {
        let encoded = key.map { EntryCodec.encode(entry, key: $0) } ?? EntryCodec.encode(entry)
        require(encoded.elementsEqual(input), "decode accepted bytes that encode does not reproduce")
        checkDecoded(entry.value)
    }

    // The input as an LZ4 block behind a declared raw length (first four bytes, little-endian).
    if input.count >= 4 {
        let declared = Int(input[0]) | Int(input[1]) << 8 | Int(input[2]) << 16 | Int(input[3]) << 24
        let block = UnsafeRawBufferPointer(rebasing: input[4...])
        do {
            let raw = try LZ4Codec.decompress(block, rawLength: declared, maxRawLength: valueLimit)
            require(raw.count == declared, "decompress returned \(raw.count) bytes, \(declared) declared")
        } catch {
            if declared > valueLimit {
                require(error == .declaredLengthTooLarge(declared, limit: valueLimit), "a bomb declaring \(declared) bytes failed as \(error)")
            }
        }
        checkDecoded(StoredValue(bytes: Array(block), encoding: .lz4, rawLength: declared))
    }

    let raw = Array(input)
    let stored = StoredValue(encoding: raw, compressionThreshold: 0)
    require(stored.rawLength == raw.count, "StoredValue records \(stored.rawLength) raw bytes for \(raw.count)")
    do {
        let back = try stored.decoded(maxRawLength: valueLimit)
        require(back == raw, "StoredValue does not round-trip (\(stored.encoding))")
    } catch {
        fatalError("StoredValue cannot decode what it encoded: \(error)")
    }
    return 0
}

/// A stored value decodes to exactly its raw length, or is refused; never more than the limit.
private func checkDecoded(_ value: StoredValue) {
    guard let raw = try? value.decoded(maxRawLength: valueLimit) else { return }
    require(raw.count == value.rawLength, "decoded \(raw.count) bytes, the entry says \(value.rawLength)")
    require(raw.count <= valueLimit, "decoded \(raw.count) bytes past the limit \(valueLimit)")
}
