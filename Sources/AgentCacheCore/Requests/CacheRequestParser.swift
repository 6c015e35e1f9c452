/// Turns request bodies into validated requests (SPEC §1). Every rejection is a 400
/// `INVALID_REQUEST` whose message names the field and what was wrong.
/// Cost: one strict JSON parse of the body; the `response` value is kept as its original bytes.
public enum CacheRequestParser {
    /// Parses a get/check/explain body.
    public static func lookup(_ body: UnsafeRawBufferPointer) throws(CacheError) -> LookupRequest {
        let members = try parseObject(body)
        return LookupRequest(namespace: try namespace(in: members), fields: try keyFields(in: members))
    }

    /// Parses a set body: the get fields plus `response` (required, any JSON) and `ttl` (optional, > 0).
    public static func store(_ body: UnsafeRawBufferPointer) throws(CacheError) -> StoreRequest {
        let members = try parseObject(body)
        guard let response = members.first(where: { $0.key == "response" }) else {
            throw .invalidRequest("response is required")
        }
        var ttl: Double?
        switch members.first(where: { $0.key == "ttl" })?.value {
        case nil, .null?:
            ttl = nil
        case .number(let seconds)?:
            guard seconds > 0 else { throw .invalidRequest("ttl must be a positive number of seconds, got \(seconds)") }
            ttl = seconds
        case let other?:
            throw .invalidRequest("ttl must be a positive number of seconds, got \(other.typeName)")
        }
        return StoreRequest(
            namespace: try namespace(in: members),
            fields: try keyFields(in: members),
            response: Array(body[response.valueRange]),
            ttlSeconds: ttl
        )
    }

    /// Parses an invalidate body. With any of provider/model/messages it names one entry
    /// (all three are then required); otherwise the namespace. An empty body means the namespace
    /// comes from the header alone.
    public static func invalidate(_ body: UnsafeRawBufferPointer) throws(CacheError) -> InvalidateRequest {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return InvalidateRequest(namespace: nil, fields: nil)
        }
        let members = try parseObject(body)
        let namesEntry = members.contains { ["provider", "model", "messages"].contains($0.key) }
        return InvalidateRequest(
            namespace: try namespace(in: members),
            fields: namesEntry ? try keyFields(in: members) : nil
        )
    }

    private static func parseObject(_ body: UnsafeRawBufferPointer) throws(CacheError) -> [JSONSpannedMember] {
        do {
            return try JSONParser.parseObjectWithSpans(body)
        } catch {
            switch error.kind {
            case .notAnObject: throw .invalidRequest("request body must be a JSON object")
            case .tooDeep: throw .invalidRequest("request body is nested too deeply: \(error.description)")
            case .unexpectedEnd where body.isEmpty: throw .invalidRequest("request body is empty; expected a JSON object")
            default: throw .invalidRequest("malformed JSON: \(error.description)")
            }
        }
    }

    private static func namespace(in members: [JSONSpannedMember]) throws(CacheError) -> String? {
        switch members.first(where: { $0.key == "namespace" })?.value {
        case nil, .null?: return nil
        case .string(let name)?: return name
        case let other?: throw .invalidRequest("namespace must be a string, got \(other.typeName)")
        }
    }

    private static func keyFields(in members: [JSONSpannedMember]) throws(CacheError) -> ChatKeyFields {
        func value(_ key: String) -> JSONValue? { members.first(where: { $0.key == key })?.value }

        let provider = try requiredString("provider", value("provider"))
        let model = try requiredString("model", value("model"))

        guard let messages = value("messages") else { throw .invalidRequest("messages is required") }
        guard case .array(let list) = messages else {
            throw .invalidRequest("messages must be an array, got \(messages.typeName)")
        }
        guard !list.isEmpty else { throw .invalidRequest("messages must not be empty") }
        for (index, message) in list.enumerated() {
            try validate(message: message, at: index)
        }

        var temperature: Double?
        switch value("temperature") {
        case nil, .null?: temperature = nil
        case .number(let number)?: temperature = number
        case let other?: throw .invalidRequest("temperature must be a number, got \(other.typeName)")
        }

        var params: JSONValue?
        switch value("params") {
        case nil, .null?: params = nil
        case .object(let members)? where members.isEmpty: params = nil
        case let object? where object.isObject: params = object
        case let other?: throw .invalidRequest("params must be an object, got \(other.typeName)")
        }

        return ChatKeyFields(provider: provider, model: model, messages: messages, temperature: temperature, params: params)
    }

    private static func requiredString(_ name: String, _ value: JSONValue?) throws(CacheError) -> String {
        switch value {
        case nil: throw .invalidRequest("\(name) is required")
        case .string(let string)? where !string.isEmpty: return string
        case .string?: throw .invalidRequest("\(name) must not be empty")
        case let other?: throw .invalidRequest("\(name) must be a string, got \(other.typeName)")
        }
    }

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
    fileprivate var isObject: Bool {
        if case .object = self { return true }
        return false
    }
}
