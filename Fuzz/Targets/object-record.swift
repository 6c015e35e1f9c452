// fuzz-sources: Sources/AgentCacheOrigin/ObjectRecord.swift Sources/AgentCacheOrigin/ObjectHead.swift
// (compiled into the target: they import nothing, so the origin tier's dependencies, AsyncHTTPClient,
// NIO and Crypto, stay out of the fuzz build.)

/// Origin objects as read back from a cache tier: `ObjectRecord(decoding:)` on arbitrary bytes
/// never crashes and accepts only what `encoded()` writes: re-encoding an accepted record gives
/// back exactly the input bytes, and its head counts its body.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzObjectRecord(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(fuzzInput(data, size))
    guard let record = ObjectRecord(decoding: bytes) else { return 0 }
    require(record.head.contentLength == record.body.count, "contentLength \(String(describing: record.head.contentLength)) for a \(record.body.count)-byte body")
    require(record.encoded() == bytes, "decoding accepted bytes that encoded() does not reproduce: \(record.head)")
    return 0
}
