/// A validated `get`, `check` or `explain` body: which entry, in which client namespace.
public struct LookupRequest: Sendable {
    /// The body's `namespace` field (wins over the header), unsanitised.
    public var namespace: String?
    /// The fields that make the key.
    public var fields: ChatKeyFields
    /// `stream`, `cache` and `tags`, validated (never key material).
    public var controls = RequestControls()
}

/// A validated `set` body.
public struct StoreRequest: Sendable {
    /// The body's `namespace` field, unsanitised.
    public var namespace: String?
    /// The fields that make the key.
    public var fields: ChatKeyFields
    /// The `response` value's bytes exactly as the client sent them (valid JSON).
    public var response: [UInt8]
    /// The requested TTL in seconds, when sent (always > 0; may be infinite, which the engine clamps).
    public var ttlSeconds: Double?
    /// `stream`, `cache` and `tags`, validated (never key material).
    public var controls = RequestControls()
}

/// A validated `invalidate` body: a whole namespace, or one entry when `fields` is present.
public struct InvalidateRequest: Sendable {
    /// The body's `namespace` field, unsanitised.
    public var namespace: String?
    /// The get fields of a single entry to delete; nil to invalidate the namespace.
    public var fields: ChatKeyFields?
}
