// fuzz-dict: Fuzz/Dictionaries/json.dict
import AgentCacheCore

/// The RFC 8785 writer on whatever the parser accepts: the canonical bytes parse again,
/// canonicalising them changes nothing (canonical(canonical(x)) == canonical(x)), and
/// `write(_:into:)` appends exactly what `encode` returns.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCanonicalJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let value = try? JSONParser.parse(fuzzInput(data, size)) else { return 0 }
    let once = CanonicalJSON.encode(value)

    let reparsed: JSONValue
    do {
        reparsed = try JSONParser.parse(once)
    } catch {
        fatalError("canonical bytes do not parse (\(error)): \(String(decoding: once, as: UTF8.self))")
    }
    let twice = CanonicalJSON.encode(reparsed)
    require(twice == once, "not idempotent: \(String(decoding: once, as: UTF8.self)) became \(String(decoding: twice, as: UTF8.self))")

    var appended: [UInt8] = [UInt8(ascii: "[")]
    CanonicalJSON.write(value, into: &appended)
    require(appended.dropFirst().elementsEqual(once), "write(_:into:) and encode disagree")
    return 0
}
