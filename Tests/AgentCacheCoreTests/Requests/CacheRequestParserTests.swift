import Testing
@testable import AgentCacheCore

@Suite("Request validation")
struct CacheRequestParserTests {
    func lookup(_ body: String) throws(CacheError) -> LookupRequest {
        let bytes = Array(body.utf8)
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(CacheError) -> LookupRequest in try CacheRequestParser.lookup(buffer) }
        }
        return try result.get()
    }

    func store(_ body: String) throws(CacheError) -> StoreRequest {
        let bytes = Array(body.utf8)
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(CacheError) -> StoreRequest in try CacheRequestParser.store(buffer) }
        }
        return try result.get()
    }

    func rejection(_ body: String, store: Bool = false) -> String? {
        do {
            if store { _ = try self.store(body) } else { _ = try lookup(body) }
            return nil
        } catch {
            #expect(error.code == .invalidRequest)
            return error.message
        }
    }

    static let valid = #"{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}]"#

    @Test("a valid get body yields its fields and namespace")
    func validLookup() throws {
        let request = try lookup(#"{"provider":"p","model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"namespace":"ns","temperature":0.2,"params":{"seed":1}}"#)
        #expect(request.namespace == "ns")
        #expect(request.fields.provider == "p")
        #expect(request.fields.temperature == .number(0.2))
        #expect(request.fields.params != nil)
    }

    @Test("set keeps the response's original bytes and the ttl")
    func validStore() throws {
        let request = try store(Self.valid + #","response": { "a" : [1, 2] },"ttl":30}"#)
        #expect(String(decoding: request.response, as: UTF8.self) == #"{ "a" : [1, 2] }"#)
        #expect(request.ttlSeconds == 30)
    }

    @Test("null response is a value; a missing one is an error")
    func responseRequired() throws {
        #expect(try store(Self.valid + #","response":null}"#).response == Array("null".utf8))
        #expect(rejection(Self.valid + "}", store: true)?.contains("response") == true)
    }

    @Test("each missing or ill-typed field is named in the error", arguments: [
        (#"{"model":"m","messages":[{"role":"user"}]}"#, "provider"),
        (#"{"provider":"p","messages":[{"role":"user"}]}"#, "model"),
        (#"{"provider":"p","model":"m"}"#, "messages"),
        (#"{"provider":1,"model":"m","messages":[{"role":"user"}]}"#, "provider"),
        (#"{"provider":"","model":"m","messages":[{"role":"user"}]}"#, "provider"),
        (#"{"provider":"p","model":"m","messages":"hi"}"#, "messages"),
        (#"{"provider":"p","model":"m","messages":[]}"#, "messages"),
        (#"{"provider":"p","model":"m","messages":["hi"]}"#, "messages[0]"),
        (#"{"provider":"p","model":"m","messages":[{"content":"x"}]}"#, "messages[0].role"),
        (#"{"provider":"p","model":"m","messages":[{"role":"user","content":5}]}"#, "messages[0].content"),
        (#"{"provider":"p","model":"m","messages":[{"role":"user"}],"temperature":"hot"}"#, "temperature"),
        (#"{"provider":"p","model":"m","messages":[{"role":"user"}],"params":[1]}"#, "params"),
        (#"{"provider":"p","model":"m","messages":[{"role":"user"}],"namespace":5}"#, "namespace"),
    ])
    func fieldErrors(body: String, field: String) {
        let message = rejection(body)
        #expect(message?.contains(field) == true, "\(message ?? "accepted")")
    }

    @Test("ttl must be a positive number", arguments: ["0", "-5", "\"abc\"", "true"])
    func ttlValidation(ttl: String) {
        #expect(rejection(Self.valid + #","response":1,"ttl":"# + ttl + "}", store: true)?.contains("ttl") == true)
    }

    @Test("malformed, non-object, empty and too-deep bodies are rejected")
    func structuralErrors() {
        #expect(rejection("{bad") != nil)
        #expect(rejection("[1,2]")?.contains("object") == true)
        #expect(rejection("")?.contains("empty") == true)
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(rejection(#"{"provider":"p","model":"m","messages":[{"role":"user","content":"# + deep + "}]}") != nil)
        #expect(rejection(#"{"provider":"p","provider":"q","model":"m","messages":[{"role":"user"}]}"#) != nil)
    }

    @Test("the same member at the top level and in params with different values is refused, naming it", arguments: [
        (#","max_tokens":5,"params":{"max_tokens":6}}"#, "max_tokens"),
        (#","tools":[],"params":{"tools":[{"type":"function"}]}}"#, "tools"),
        (#","seed":9007199254740993,"params":{"seed":9007199254740992}}"#, "seed"),
        (#","temperature":0.5,"params":{"temperature":0.7}}"#, "temperature"),
        (#","temperature":0.5,"params":{"temperature":null}}"#, "temperature"),
        (#","params":{"model":"other"}}"#, "model"),
        (#","params":{"provider":"q"}}"#, "provider"),
        (#","params":{"messages":[]}}"#, "messages"),
    ])
    func conflictingLevels(tail: String, name: String) {
        let message = rejection(Self.valid + tail)
        #expect(message?.contains("\"\(name)\" is sent both at the top level and in params") == true, "\(message ?? "accepted")")
    }

    @Test("stream, cache and tags are validated control members", arguments: [
        (#""stream":"yes""#, "stream must be a boolean"),
        (#""stream":1"#, "stream must be a boolean"),
        (#""cache":true"#, "cache must be an object"),
        (#""cache":{"tokens":-1}"#, "cache.tokens"),
        (#""cache":{"cost_usd":"1"}"#, "cache.cost_usd"),
        (#""cache":{"refresh":true}"#, "cache.refresh is not supported yet"),
        (#""cache":{"no_store":true}"#, "cache.no_store is not supported yet"),
        (#""cache":{"max_age":60}"#, "cache.max_age is not supported yet"),
        (#""cache":{"maxage":60}"#, "unknown member \"maxage\""),
        (#""tags":"doc:42""#, "tags must be an array"),
        (#""tags":[42]"#, "tags[0] must be a string"),
        (#""tags":[""]"#, "tags[0] must be 1 to 128 bytes"),
    ])
    func controlValidation(member: String, message: String) {
        let error = rejection(Self.valid + "," + member + "}")
        #expect(error?.contains(message) == true, "\(error ?? "accepted")")
        #expect(rejection(Self.valid + "," + member + #","response":1}"#, store: true)?.contains(message) == true)
    }

    @Test("accepted controls: stream, savings figures, 32 tags of 128 bytes")
    func acceptedControls() throws {
        let tags = (0..<32).map { "\"" + String(repeating: "t", count: 127) + String($0 % 10) + "\"" }.joined(separator: ",")
        let request = try store(Self.valid + #","response":1,"stream":true,"cache":{"tokens":120,"cost_usd":0.0042,"refresh":false},"tags":[\#(tags)]}"#)
        #expect(request.controls.stream)
        #expect(request.controls.tags.count == 32)
        #expect(request.controls.cache.map(\.key) == ["tokens", "cost_usd", "refresh"])
        #expect(rejection(Self.valid + #","tags":[\#(tags),"one more"]}"#)?.contains("at most 32") == true)
        #expect(rejection(Self.valid + #","tags":[""# + String(repeating: "é", count: 65) + #""]}"#)?.contains("got 130") == true)
        #expect(try lookup(Self.valid + #","stream":null,"cache":null,"tags":null}"#).controls == RequestControls())
    }

    @Test("a response nests 512 levels and keeps its bytes; 513 and key material past 32 are refused, each naming its limit")
    func depthLimits() throws {
        let deep = String(repeating: "[", count: 512) + "1" + String(repeating: "]", count: 512)
        #expect(try store(Self.valid + #","response":\#(deep)}"#).response == Array(deep.utf8))
        let tooDeep = rejection(Self.valid + #","response":[\#(deep)]}"#, store: true)
        #expect(tooDeep?.hasPrefix("response is nested deeper than 512 levels") == true, "\(tooDeep ?? "accepted")")
        let hostile = rejection(Self.valid + #","response":"# + String(repeating: "[", count: 100_000) + "}", store: true)
        #expect(hostile?.hasPrefix("response is nested deeper than 512 levels") == true, "\(hostile ?? "accepted")")
        let key = rejection(Self.valid + #","params":{"x":"# + String(repeating: "[", count: 31) + String(repeating: "]", count: 31) + "}}")
        #expect(key?.hasPrefix(#""params" is nested too deeply: key material may nest 32 levels"#) == true, "\(key ?? "accepted")")
    }

    @Test("ttl keeps exact numbers' meaning: tiny positive is positive, huge is clamped later, negative refused")
    func ttlExactNumbers() throws {
        #expect(try store(Self.valid + #","response":1,"ttl":1e-400}"#).ttlSeconds == .leastNonzeroMagnitude)
        #expect(try store(Self.valid + #","response":1,"ttl":1e400}"#).ttlSeconds == .infinity)
        #expect(rejection(Self.valid + #","response":1,"ttl":-1e-400}"#, store: true)?.contains("got -1e-400") == true)
    }

    @Test("invalidate: namespace only, one entry, or an empty body")
    func invalidateForms() throws {
        func invalidate(_ body: String) throws -> InvalidateRequest {
            try Array(body.utf8).withUnsafeBytes { try CacheRequestParser.invalidate($0) }
        }
        #expect(try invalidate(#"{"namespace":"n"}"#).fields == nil)
        #expect(try invalidate(Self.valid + "}").fields != nil)
        #expect(try invalidate("").namespace == nil)
        #expect(throws: CacheError.self) { try invalidate(#"{"namespace":"n","model":"m"}"#) }
        // A generation parameter names an entry too, so it cannot widen to the namespace.
        #expect(throws: CacheError.self) { try invalidate(#"{"namespace":"n","max_tokens":5}"#) }
        #expect(try invalidate(Self.valid + #","max_tokens":5}"#).fields?.params == .object([JSONMember(key: "max_tokens", value: .number(5))]))
        // Invalidating by tag is planned; refused rather than widened to the whole namespace.
        #expect(throws: CacheError.self) { try invalidate(#"{"namespace":"n","tags":["doc:42"]}"#) }
        #expect(try invalidate(#"{"namespace":"n","stream":false}"#).fields == nil)
    }
}
