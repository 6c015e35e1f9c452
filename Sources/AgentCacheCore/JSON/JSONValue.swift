/// A parsed JSON value. Objects keep members in input order (the canonical writer sorts).
///
/// Equality compares strings and keys by their Unicode scalars (UTF-8 bytes), not by Swift's
/// canonical-equivalence `String ==`, so two values are equal only if they canonicalise identically
/// (apart from object member order, which equality does respect).
///
/// Numbers come in two cases (SPEC §2). `.number` is a number whose text is the shortest
/// round-trip form of a Double (every number a Double holds exactly, `0.1` included): RFC 8785
/// writes it. `.decimal` is a number a Double would round (`9007199254740993`, `1e400`,
/// `0.30000000000000001`): it keeps its exact value as a canonical decimal, so two different
/// numbers never share canonical bytes. The parser never makes a `.decimal` a Double holds.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case decimal(JSONDecimal)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])
}

/// One `"key": value` pair of a JSON object, in the order it appeared in the input.
public struct JSONMember: Sendable {
    /// The member's name.
    public var key: String
    /// The member's value.
    public var value: JSONValue

    /// Creates a member; O(1).
    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}

extension JSONValue: Equatable {
    /// Structural equality with scalar-exact string comparison; O(size of the smaller value).
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null):
            return true
        case let (.bool(a), .bool(b)):
            return a == b
        case let (.number(a), .number(b)):
            // 0 == -0 here, matching the canonical form, which writes both as "0".
            return a == b
        case let (.decimal(a), .decimal(b)):
            return a == b
        case let (.string(a), .string(b)):
            return a.jsonBytesEqual(b)
        case let (.array(a), .array(b)):
            return a == b
        case let (.object(a), .object(b)):
            return a == b
        default:
            return false
        }
    }
}

extension JSONMember: Equatable {
    /// Key (scalar-exact) and value equality; O(size of the smaller value).
    public static func == (lhs: JSONMember, rhs: JSONMember) -> Bool {
        lhs.key.jsonBytesEqual(rhs.key) && lhs.value == rhs.value
    }
}

extension JSONValue {
    /// The value of the first member named `key` if this is an object, else nil; O(members).
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        for member in members where member.key.jsonBytesEqual(key) {
            return member.value
        }
        return nil
    }

    /// The nearest Double of a number (`.decimal` ones may round, to ±infinity or ±0 beyond a
    /// Double's range), nil for any other value; O(1) for `.number`, one conversion for `.decimal`.
    public var doubleValue: Double? {
        switch self {
        case .number(let value): return value
        case .decimal(let value): return value.doubleValue
        default: return nil
        }
    }

    /// The JSON type name ("null", "boolean", "number", "string", "array", "object") for messages; O(1).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number, .decimal: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

extension String {
    /// Byte-wise UTF-8 equality. Swift's `==` treats canonically equivalent strings ("é" and
    /// "e\u{301}") as equal, but JSON (and RFC 8785) distinguish them, so keys and string values
    /// must be compared by code points; O(n).
    @inline(__always)
    internal func jsonBytesEqual(_ other: String) -> Bool {
        let a = utf8, b = other.utf8
        return a.count == b.count && a.elementsEqual(b)
    }

    /// This client-sent text for an error message: JSON-quoted (one line, no raw controls) and
    /// cut to 64 Unicode scalars, with `...` when cut; O(min(n, 64)).
    internal var quotedForMessage: String {
        let limit = 64
        let scalars = unicodeScalars
        let truncated = scalars.count > limit
        let shown = truncated ? String(scalars.prefix(limit)) : self
        var bytes: [UInt8] = []
        CanonicalJSON.writeString(shown, into: &bytes)
        return String(decoding: bytes, as: UTF8.self) + (truncated ? "..." : "")
    }
}
