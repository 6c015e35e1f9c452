/// The canonical byte encoding a cache key is hashed from (SPEC §2).
///
/// Layout: `"AC" 0x01 <kind>` then, per field, `<tag u8> <length u32 LE> <bytes>`.
/// Length-prefixing means `provider "ab", model "c"` and `provider "a", model "bc"`
/// can never encode alike; the tag keeps an absent optional field distinct from any value.
/// JSON-valued fields are RFC 8785 canonical JSON, so key order and whitespace do not matter.
public struct KeyMaterial: Sendable {
    /// What the key identifies; part of the encoding so kinds never collide.
    public enum Kind: UInt8, Sendable {
        case chat = 1
        case object = 2
    }

    /// The field tags, in the order they are written.
    public enum Field: UInt8, Sendable, CaseIterable {
        case tenant = 1, namespace, generation, provider, model, messages, temperature, params, object

        /// The field's name in `explain` output.
        public var name: String {
            switch self {
            case .tenant: "tenant"
            case .namespace: "namespace"
            case .generation: "generation"
            case .provider: "provider"
            case .model: "model"
            case .messages: "messages"
            case .temperature: "temperature"
            case .params: "params"
            case .object: "object"
            }
        }
    }

    /// One field as written: its tag and where its value bytes sit in `bytes`.
    public struct FieldSpan: Sendable {
        /// Which field.
        public var field: Field
        /// Where its value bytes are in `bytes`.
        public var range: Range<Int>
    }

    /// The framed bytes.
    public private(set) var bytes: [UInt8]
    /// The fields written, in order, with the ranges of their value bytes.
    public private(set) var spans: [FieldSpan] = []

    private init(kind: Kind, capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(contentsOf: [UInt8(ascii: "A"), UInt8(ascii: "C"), 1, kind.rawValue])
    }

    /// The key material of a chat request in `namespace` at `generation`.
    /// Cost: one pass over the request's JSON plus a sort per object; one growing buffer.
    public static func chat(namespace: CacheNamespace, generation: UInt64, fields: ChatKeyFields) -> KeyMaterial {
        var material = KeyMaterial(kind: .chat, capacity: 256)
        material.appendScope(namespace: namespace, generation: generation)
        material.append(.provider, string: fields.provider)
        material.append(.model, string: fields.model)
        material.append(.messages, json: fields.messages)
        if let temperature = fields.temperature {
            material.append(.temperature, json: temperature)
        }
        if let params = fields.params {
            material.append(.params, json: params)
        }
        return material
    }

    /// The key material of an object in `namespace` at `generation`, identified by its canonical identity string.
    public static func object(namespace: CacheNamespace, generation: UInt64, identity: String) -> KeyMaterial {
        var material = KeyMaterial(kind: .object, capacity: 128)
        material.appendScope(namespace: namespace, generation: generation)
        material.append(.object, string: identity)
        return material
    }

    /// XXH3-128 of the bytes.
    public var key: CacheKey { KeyHasher.hash(bytes) }

    /// The value bytes of `span`.
    public func value(of span: FieldSpan) -> ArraySlice<UInt8> { bytes[span.range] }

    private mutating func appendScope(namespace: CacheNamespace, generation: UInt64) {
        append(.tenant, string: namespace.tenant)
        append(.namespace, string: namespace.name)
        append(.generation) { out in
            withUnsafeBytes(of: generation.littleEndian) { out.append(contentsOf: $0) }
        }
    }

    private mutating func append(_ field: Field, string: String) {
        append(field) { $0.append(contentsOf: string.utf8) }
    }

    private mutating func append(_ field: Field, json: JSONValue) {
        append(field) { CanonicalJSON.write(json, into: &$0) }
    }

    /// Writes the tag, a length placeholder, the value, then patches the length in.
    private mutating func append(_ field: Field, value write: (inout [UInt8]) -> Void) {
        bytes.append(field.rawValue)
        let lengthAt = bytes.count
        bytes.append(contentsOf: [0, 0, 0, 0])
        let start = bytes.count
        write(&bytes)
        let length = UInt32(truncatingIfNeeded: bytes.count - start)
        bytes[lengthAt] = UInt8(truncatingIfNeeded: length)
        bytes[lengthAt + 1] = UInt8(truncatingIfNeeded: length >> 8)
        bytes[lengthAt + 2] = UInt8(truncatingIfNeeded: length >> 16)
        bytes[lengthAt + 3] = UInt8(truncatingIfNeeded: length >> 24)
        spans.append(FieldSpan(field: field, range: start..<bytes.count))
    }
}
