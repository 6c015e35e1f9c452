// fuzz-sources: Sources/AgentCacheOrigin/ObjectRecord.swift Sources/AgentCacheOrigin/ObjectHead.swift
// (compiled into the target: they import nothing, so the origin tier's dependencies, AsyncHTTPClient,
// NIO and Crypto, stay out of the fuzz build.)

/// Origin objects as read back from a cache tier: `ObjectRecord(decoding:)` on arbitrary bytes
/// never crashes, an accepted record's head counts its body, and encoding it then decoding the
/// result gives the same record.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzObjectRecord(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(fuzzInput(data, size))
    guard let record = ObjectRecord(decoding: bytes) else { return 0 }
    require(record.head.contentLength == record.body.count, "contentLength \(String(describing: record.head.contentLength)) for a \(record.body.count)-byte body")
    require(bytes.count - record.body.count >= 28, "the body overlaps the \(bytes.count - record.body.count)-byte header")
    let encoded = record.encoded()
    require(ObjectRecord(decoding: encoded) == record, "decode(encode(record)) differs from the record")
    return 0
}
