// fuzz-dict: Fuzz/Dictionaries/json.dict
import AgentCacheCore

/// The cache request bodies (get/check/explain, set, invalidate) on arbitrary bytes. Each
/// parser either returns a request or throws a 400 INVALID_REQUEST with a message; an accepted
/// request is carried on to its cache key, as a route does. The three agree with each other: a
/// body `set` accepts is a lookup of the same fields, and where lookup and invalidate both
/// accept a body they name the same entry in the same namespace.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCacheRequestParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let body = fuzzInput(data, size)

    let lookup = accepted { () throws(CacheError) in try CacheRequestParser.lookup(body) }
    let store = accepted { () throws(CacheError) in try CacheRequestParser.store(body) }
    let invalidate = accepted { () throws(CacheError) in try CacheRequestParser.invalidate(body) }

    if let lookup {
        key(for: lookup.fields, clientNamespace: lookup.namespace)
        if let invalidate {
            require(invalidate.fields == lookup.fields, "invalidate names a different entry than lookup reads")
            require(invalidate.namespace == lookup.namespace, "lookup and invalidate read different namespaces")
        }
    }
    if let store {
        require(lookup?.fields == store.fields, "set accepted a body whose key fields lookup rejects or reads differently")
        if let ttl = store.ttlSeconds {
            require(ttl > 0, "set accepted ttl \(ttl)")
        }
        do {
            _ = try JSONParser.parse(store.response)
        } catch where error.kind == .numberOutOfRange {
            // A stored response is any JSON text: its numbers are checked by grammar only, not
            // against parse's size limits (which guard key material). Then it must still be one
            // JSON text, as the set's validation reads it.
            let wrapped = Array(#"{"r":"#.utf8) + store.response + Array("}".utf8)
            do {
                _ = try JSONParser.parseObjectWithSpans(wrapped, unparsed: ["r"], unparsedMaxDepth: 512)
            } catch {
                fatalError("set's response bytes are not JSON (\(error)): \(String(decoding: store.response, as: UTF8.self))")
            }
        } catch {
            fatalError("set's response bytes are not JSON (\(error)): \(String(decoding: store.response, as: UTF8.self))")
        }
    }
    if let invalidate, let fields = invalidate.fields {
        key(for: fields, clientNamespace: invalidate.namespace)
    }
    return 0
}

/// The request, or nil after checking the rejection is the contract's 400.
private func accepted<Request>(_ parse: () throws(CacheError) -> Request) -> Request? {
    do {
        return try parse()
    } catch {
        require(error.code == .invalidRequest, "rejection with code \(error.code), not INVALID_REQUEST: \(error)")
        require(!error.message.isEmpty, "rejection without a message")
        return nil
    }
}

/// What a route does next with accepted fields: sanitise the namespace, build and hash the key.
private func key(for fields: ChatKeyFields, clientNamespace: String?) {
    guard let namespace = accepted({ () throws(CacheError) in try CacheNamespace(tenant: "default", clientNamespace: clientNamespace) }) else {
        return
    }
    let material = KeyMaterial.chat(namespace: namespace, generation: 0, fields: fields)
    _ = material.key
}
