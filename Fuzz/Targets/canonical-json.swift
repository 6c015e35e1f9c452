// fuzz-dict: Fuzz/Dictionaries/json.dict
import AgentCacheCore

/// The RFC 8785 writer on whatever the parser accepts: the canonical bytes parse again to the
/// same value (members aside, whose order canonicalisation sets), canonicalising them changes
/// nothing (canonical(canonical(x)) == canonical(x)), and `write(_:into:)` appends exactly what
/// `encode` returns.
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
    require(sortedMembers(reparsed) == sortedMembers(value), "canonical form changed the value: \(String(decoding: once, as: UTF8.self))")
    let twice = CanonicalJSON.encode(reparsed)
    require(twice == once, "not idempotent: \(String(decoding: once, as: UTF8.self)) became \(String(decoding: twice, as: UTF8.self))")

    var appended: [UInt8] = [UInt8(ascii: "[")]
    CanonicalJSON.write(value, into: &appended)
    require(appended.dropFirst().elementsEqual(once), "write(_:into:) and encode disagree")
    return 0
}

/// `value` with every object's members in UTF-8 byte order of their keys, so two values that
/// differ only in member order compare equal (keys are unique: the parser rejects duplicates).
/// Matches only arrays and objects, so it holds whatever a number's representation is.
private func sortedMembers(_ value: JSONValue) -> JSONValue {
    switch value {
    case .array(let elements):
        return .array(elements.map(sortedMembers))
    case .object(let members):
        return .object(
            members.map { JSONMember(key: $0.key, value: sortedMembers($0.value)) }
                .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        )
    default:
        return value
    }
}
