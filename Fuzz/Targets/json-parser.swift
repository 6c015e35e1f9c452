// fuzz-dict: Fuzz/Dictionaries/json.dict
import AgentCacheCore

/// JSONParser on arbitrary bytes: never crashes, errors point inside the input, and its entry
/// points agree — `parse` on raw bytes and on an array, and `parseObjectWithSpans`, whose
/// spans must cut out exactly the bytes of each member's value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)

    let whole: JSONValue?
    do {
        whole = try JSONParser.parse(input)
    } catch {
        require(error.offset >= 0 && error.offset <= input.count, "error offset \(error.offset) outside \(input.count) bytes: \(error)")
        whole = nil
    }

    let fromArray = try? JSONParser.parse(Array(input))
    require(fromArray == whole, "parse([UInt8]) disagrees with parse(UnsafeRawBufferPointer)")

    let spanned: [JSONSpannedMember]?
    do {
        spanned = try JSONParser.parseObjectWithSpans(input)
    } catch {
        require(error.offset >= 0 && error.offset <= input.count, "span error offset \(error.offset) outside \(input.count) bytes: \(error)")
        spanned = nil
    }

    switch (whole, spanned) {
    case (.object(let members)?, let spanned?):
        require(members.count == spanned.count, "parse found \(members.count) members, parseObjectWithSpans \(spanned.count)")
        for (member, span) in zip(members, spanned) {
            guard let value = span.value else { fatalError("member \(span.key) was left unparsed though none was asked to be") }
            require(member == JSONMember(key: span.key, value: value), "member \(member.key) differs between parse and parseObjectWithSpans")
            let range = span.valueRange
            require(range.lowerBound >= 0 && range.upperBound <= input.count && !range.isEmpty, "span \(range) outside \(input.count) bytes")
            let alone = try? JSONParser.parse(UnsafeRawBufferPointer(rebasing: input[range]))
            require(alone == value, "the bytes at \(range) do not parse to member \(span.key)'s value")
        }
        // Validating members without building their values (as a set's `response` is read)
        // accepts the same texts and finds the same spans.
        let validated = try? JSONParser.parseObjectWithSpans(input, unparsed: spanned.map(\.key))
        require(validated != nil, "a member validated without its value was refused")
        for (checked, span) in zip(validated ?? [], spanned) {
            require(checked.key == span.key && checked.valueRange == span.valueRange && checked.value == nil, "validate-only member \(span.key) differs")
        }
    case (.object?, nil):
        fatalError("parse accepted an object that parseObjectWithSpans rejected")
    case (_?, _?):
        fatalError("parseObjectWithSpans accepted a text that is not an object")
    case (nil, _?):
        fatalError("parseObjectWithSpans accepted a text that parse rejected")
    case (_, nil):
        break
    }
    return 0
}
