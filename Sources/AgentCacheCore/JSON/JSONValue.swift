/// A parsed JSON value. Objects keep members in input order (the canonical writer sorts).
///
/// Equality compares strings and keys by their Unicode scalars (UTF-8 bytes), not by Swift's
/// canonical-equivalence `String ==`, so two values are equal only if they canonicalise identically
/// (apart from object member order, which equality does respect).
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(Double)
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

    /// The JSON type name ("null", "boolean", "number", "string", "array", "object") for messages; O(1).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
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
}
