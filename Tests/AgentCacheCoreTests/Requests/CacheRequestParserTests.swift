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
        #expect(request.fields.temperature == 0.2)
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

    @Test("invalidate: namespace only, one entry, or an empty body")
    func invalidateForms() throws {
        func invalidate(_ body: String) throws -> InvalidateRequest {
            try Array(body.utf8).withUnsafeBytes { try CacheRequestParser.invalidate($0) }
        }
        #expect(try invalidate(#"{"namespace":"n"}"#).fields == nil)
        #expect(try invalidate(Self.valid + "}").fields != nil)
        #expect(try invalidate("").namespace == nil)
        #expect(throws: CacheError.self) { try invalidate(#"{"namespace":"n","model":"m"}"#) }
    }
}
