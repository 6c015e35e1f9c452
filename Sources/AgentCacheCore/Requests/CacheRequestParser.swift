/// Turns request bodies into validated requests (SPEC §1). Every rejection is a 400
/// `INVALID_REQUEST` whose message names the field and what was wrong.
///
/// A body's top-level members are either control members (`namespace`, `response`, `ttl`,
/// `stream`, `cache`, `tags`), which steer the cache and never enter the key, or key material:
/// `provider`, `model`, `messages`, `temperature`, `params`, and every other member, a
/// generation parameter merged into `params` (`{"max_tokens":5}` and
/// `{"params":{"max_tokens":5}}` are one key; the same member at both levels with different
/// values is refused). So no part of a request's meaning is dropped before hashing.
///
/// Cost: one strict JSON parse of the body; the `response` value is only validated (kept as its
/// original bytes, never built). Merging allocates only when a body has top-level generation
/// parameters or repeats a key field inside `params`.
public enum CacheRequestParser {
    /// Deepest a stored `response` may nest, counted from the response value itself. It is only
    /// validated, with an explicit stack, so the limit protects clients that parse it, not ours.
    public static let maxResponseDepth = 512

    /// Deepest key material may nest, counted from the body (the body object is level 1): it is
    /// parsed, canonicalised and compared recursively, so it stays shallow.
    public static let maxKeyDepth = JSONParser.defaultMaxDepth

    /// Parses a get/check/explain body. `response` and `ttl`, when present, are validated as
    /// JSON and otherwise ignored.
    public static func lookup(_ body: UnsafeRawBufferPointer) throws(CacheError) -> LookupRequest {
        let members = try BodyMembers(try parseObject(body))
        return LookupRequest(namespace: try members.namespace(), fields: try members.keyFields(), controls: try members.controls())
    }

    /// Parses a set body: the get fields plus `response` (required, any JSON) and `ttl` (optional, > 0).
    public static func store(_ body: UnsafeRawBufferPointer) throws(CacheError) -> StoreRequest {
        let members = try BodyMembers(try parseObject(body))
        guard let response = members.response else {
            throw .invalidRequest("response is required")
        }
        var ttl: Double?
        switch members.ttl {
        case nil, .null?:
            ttl = nil
        case let seconds? where seconds.doubleValue != nil:
            let value = seconds.doubleValue ?? 0
            guard value > 0 || (value == 0 && seconds.isPositiveDecimal) else {
                throw .invalidRequest("ttl must be a positive number of seconds, got \(seconds.canonicalText)")
            }
            // A positive ttl below a Double's range still means "as short as possible".
            ttl = max(value, .leastNonzeroMagnitude)
        case let other?:
            throw .invalidRequest("ttl must be a positive number of seconds, got \(other.typeName)")
        }
        return StoreRequest(
            namespace: try members.namespace(),
            fields: try members.keyFields(),
            response: Array(body[response]),
            ttlSeconds: ttl,
            controls: try members.controls()
        )
    }

    /// Parses an invalidate body. With any key material (provider, model, messages or a
    /// generation parameter) it names one entry, and the get fields are then required;
    /// otherwise the namespace. An empty body means the namespace comes from the header alone.
    /// `tags` is refused: invalidating by tag is planned, and dropping it would widen the
    /// request to the whole namespace.
    public static func invalidate(_ body: UnsafeRawBufferPointer) throws(CacheError) -> InvalidateRequest {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return InvalidateRequest(namespace: nil, fields: nil)
        }
        let members = try BodyMembers(try parseObject(body))
        _ = try members.controls()
        if let tags = members.tags, tags != .null {
            throw .invalidRequest("invalidating by tags is not supported yet; send a namespace, or the get fields of one entry")
        }
        return InvalidateRequest(
            namespace: try members.namespace(),
            fields: members.namesEntry ? try members.keyFields() : nil
        )
    }

    /// Members only validated, never built: the stored answer, kept as its bytes.
    private static let validatedOnly = ["response"]

    private static func parseObject(_ body: UnsafeRawBufferPointer) throws(CacheError) -> [JSONSpannedMember] {
        do {
            return try JSONParser.parseObjectWithSpans(
                body, maxDepth: maxKeyDepth, unparsed: validatedOnly, unparsedMaxDepth: maxResponseDepth
            )
        } catch {
            switch error.kind {
            case .notAnObject: throw .invalidRequest("request body must be a JSON object")
            case .tooDeep: throw .invalidRequest(depthMessage(error))
            case .numberOutOfRange: throw .invalidRequest(error.description)
            case .unexpectedEnd where body.isEmpty: throw .invalidRequest("request body is empty; expected a JSON object")
            default: throw .invalidRequest("malformed JSON: \(error.description)")
            }
        }
    }

    /// Says which limit was hit: the response's or key material's.
    private static func depthMessage(_ error: JSONParseError) -> String {
        let limit = error.depthLimit ?? maxKeyDepth
        if error.member == "response" {
            return "response is nested deeper than \(limit) levels (at byte \(error.offset)); a stored response may nest \(maxResponseDepth)"
        }
        let member = error.member.map { "\($0.quotedForMessage) " } ?? ""
        return "\(member)is nested too deeply: key material may nest \(limit) levels counting the body object (at byte \(error.offset))"
    }
}

/// A body's top-level members sorted by role, in one pass; duplicates were already refused by
/// the parser. Keeps positions, not copies: values are read where they are used, so the hit path
/// pays no more reference counting than a lookup by name would.
private struct BodyMembers {
    let members: [JSONSpannedMember]
    var providerAt, modelAt, messagesAt, temperatureAt, paramsAt: Int?
    var namespaceAt, ttlAt, streamAt, cacheAt, tagsAt: Int?
    /// The byte range of `response`, which is validated only.
    var response: Range<Int>?
    /// Every other member: generation parameters, in body order.
    var generationParametersAt: [Int] = []

    init(_ members: [JSONSpannedMember]) throws(CacheError) {
        self.members = members
        for position in members.indices {
            guard members[position].value != nil else {
                // Only `response` is left unparsed (validated, kept as bytes).
                response = members[position].valueRange
                continue
            }
            // By length first, so each member costs one or two string comparisons (hit path).
            let key = members[position].key
            switch key.utf8.count {
            case 3 where key == "ttl": ttlAt = position
            case 4 where key == "tags": tagsAt = position
            case 5 where key == "model": modelAt = position
            case 5 where key == "cache": cacheAt = position
            case 6 where key == "params": paramsAt = position
            case 6 where key == "stream": streamAt = position
            case 8 where key == "provider": providerAt = position
            case 8 where key == "messages": messagesAt = position
            case 9 where key == "namespace": namespaceAt = position
            case 11 where key == "temperature": temperatureAt = position
            default: generationParametersAt.append(position)
            }
        }
    }

    private func value(at position: Int?) -> JSONValue? {
        guard let position else { return nil }
        return members[position].value
    }

    var provider: JSONValue? { value(at: providerAt) }
    var model: JSONValue? { value(at: modelAt) }
    var messages: JSONValue? { value(at: messagesAt) }
    var temperature: JSONValue? { value(at: temperatureAt) }
    var params: JSONValue? { value(at: paramsAt) }
    var ttl: JSONValue? { value(at: ttlAt) }
    var tags: JSONValue? { value(at: tagsAt) }

    /// The generation parameters, as members.
    var generationParameters: [JSONMember] {
        generationParametersAt.map { JSONMember(key: members[$0].key, value: members[$0].value ?? .null) }
    }

    /// Whether an invalidate body names one entry rather than the namespace.
    var namesEntry: Bool {
        providerAt != nil || modelAt != nil || messagesAt != nil || !generationParametersAt.isEmpty
    }

    func namespace() throws(CacheError) -> String? {
        switch value(at: namespaceAt) {
        case nil, .null?: return nil
        case .string(let name)?: return name
        case let other?: throw .invalidRequest("namespace must be a string, got \(other.typeName)")
        }
    }

    func controls() throws(CacheError) -> RequestControls {
        if streamAt == nil && cacheAt == nil && tagsAt == nil { return RequestControls() }
        return try RequestControls(stream: value(at: streamAt), cache: value(at: cacheAt), tags: tags)
    }

    func keyFields() throws(CacheError) -> ChatKeyFields {
        let provider = try Self.requiredString("provider", provider)
        let model = try Self.requiredString("model", model)

        guard let messages else { throw .invalidRequest("messages is required") }
        guard case .array(let list) = messages else {
            throw .invalidRequest("messages must be an array, got \(messages.typeName)")
        }
        guard !list.isEmpty else { throw .invalidRequest("messages must not be empty") }
        for (index, message) in list.enumerated() {
            try Self.validate(message: message, at: index)
        }

        var temperature = try Self.temperature(temperature, name: "temperature")
        var params: [JSONMember]
        switch self.params {
        case nil, .null?:
            params = []
        case .object(let members)?:
            if generationParametersAt.isEmpty && !members.contains(where: { Self.isKeyFieldName($0.key) }) {
                // The common case: params as sent, nothing to merge.
                return ChatKeyFields(
                    provider: provider, model: model, messages: messages, temperature: temperature,
                    params: members.isEmpty ? nil : .object(members)
                )
            }
            params = members
        case let other?:
            throw .invalidRequest("params must be an object, got \(other.typeName)")
        }

        // A key field repeated inside params is the same field: equal values are one, a params
        // temperature alone is the temperature, different values are refused.
        if params.contains(where: { Self.isKeyFieldName($0.key) }) {
            let topLevel: [String: JSONValue?] = [
                "provider": .string(provider), "model": .string(model), "messages": messages, "temperature": temperature,
            ]
            var kept: [JSONMember] = []
            for member in params {
                guard let top = topLevel[member.key] else {
                    kept.append(member)
                    continue
                }
                if member.key == "temperature" {
                    let inParams = try Self.temperature(member.value, name: "params.temperature")
                    if let top, let inParams {
                        guard Self.sameKeyMaterial(top, inParams) else { throw Self.conflict("temperature") }
                    } else if top != nil || inParams != nil {
                        guard top == nil else { throw Self.conflict("temperature") }
                        temperature = inParams
                    }
                } else if let top {
                    guard Self.sameKeyMaterial(top, member.value) else { throw Self.conflict(member.key) }
                }
            }
            params = kept
        }

        for parameter in generationParameters {
            if let existing = params.first(where: { $0.key.jsonBytesEqual(parameter.key) }) {
                guard Self.sameKeyMaterial(existing.value, parameter.value) else { throw Self.conflict(parameter.key) }
            } else {
                params.append(parameter)
            }
        }
        return ChatKeyFields(
            provider: provider, model: model, messages: messages, temperature: temperature,
            params: params.isEmpty ? nil : .object(params)
        )
    }

    /// Whether `name` is a key field that `params` may repeat. By length first: this runs for
    /// every params member on the hit path, and most names have none of these lengths.
    private static func isKeyFieldName(_ name: String) -> Bool {
        switch name.utf8.count {
        case 5: name == "model"
        case 8: name == "provider" || name == "messages"
        case 11: name == "temperature"
        default: false
        }
    }

    private static func conflict(_ name: String) -> CacheError {
        .invalidRequest("\(name.quotedForMessage) is sent both at the top level and in params, with different values")
    }

    /// Whether two values are the same key material (equal canonical bytes). Rare path.
    private static func sameKeyMaterial(_ a: JSONValue, _ b: JSONValue) -> Bool {
        CanonicalJSON.encode(a) == CanonicalJSON.encode(b)
    }

    /// A temperature value: a number, or nil for absent or `null`.
    private static func temperature(_ value: JSONValue?, name: String) throws(CacheError) -> JSONValue? {
        switch value {
        case nil, .null?: return nil
        case .number?, .decimal?: return value
        case let other?: throw .invalidRequest("\(name) must be a number, got \(other.typeName)")
        }
    }

    private static func requiredString(_ name: String, _ value: JSONValue?) throws(CacheError) -> String {
        switch value {
        case nil: throw .invalidRequest("\(name) is required")
        case .string(let string)? where !string.isEmpty: return string
        case .string?: throw .invalidRequest("\(name) must not be empty")
        case let other?: throw .invalidRequest("\(name) must be a string, got \(other.typeName)")
        }
    }

    /// A message is an object with a string `role` and a string, array-of-parts or null
    /// `content`; every member of it (`name`, `tool_call_id`, `tool_calls`, image parts, ...)
    /// is key material as sent, `null` included.
    private static func validate(message: JSONValue, at index: Int) throws(CacheError) {
        guard case .object = message else {
            throw .invalidRequest("messages[\(index)] must be an object with role and content, got \(message.typeName)")
        }
        switch message["role"] {
        case .string?: break
        case nil: throw .invalidRequest("messages[\(index)].role is required")
        case let other?: throw .invalidRequest("messages[\(index)].role must be a string, got \(other.typeName)")
        }
        switch message["content"] {
        case nil, .null?, .string?, .array?: break
        case let other?:
            throw .invalidRequest("messages[\(index)].content must be a string or an array of parts, got \(other.typeName)")
        }
    }
}

extension JSONValue {
    /// A number's canonical text, for messages; the type name for other values.
    fileprivate var canonicalText: String {
        switch self {
        case .number, .decimal: String(decoding: CanonicalJSON.encode(self), as: UTF8.self)
        default: typeName
        }
    }

    /// Whether this is a `.decimal` above zero (one a Double may round to 0).
    fileprivate var isPositiveDecimal: Bool {
        if case .decimal(let decimal) = self { return !decimal.text.hasPrefix("-") }
        return false
    }
}
