/// One argument of a Redis command, as the bytes sent on the wire (binary safe).
/// String and integer literals convert implicitly: `["SET", .bytes(key), .bytes(value), "PX", 200]`.
public struct RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    /// The argument's bytes.
    public var bytes: [UInt8]

    /// Wraps raw bytes; no copy beyond the array's own copy-on-write.
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// The UTF-8 bytes of `string`.
    public init(_ string: String) { self.bytes = Array(string.utf8) }

    /// The decimal form of `value`, as Redis expects numbers.
    public init(_ value: some BinaryInteger) { self.bytes = Array(String(value).utf8) }

    /// A string literal's UTF-8 bytes, so commands read `["GET", key]`.
    public init(stringLiteral value: String) { self.init(value) }

    /// An integer literal in decimal, so `["EXPIRE", key, 60]` works.
    public init(integerLiteral value: Int) { self.init(value) }

    /// Raw bytes, e.g. an encoded entry.
    public static func bytes(_ bytes: [UInt8]) -> RedisArgument { RedisArgument(bytes: bytes) }

    /// UTF-8 text, e.g. a key built at run time.
    public static func string(_ string: String) -> RedisArgument { RedisArgument(string) }
}
