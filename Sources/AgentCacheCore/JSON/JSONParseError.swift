/// Why and where `JSONParser` rejected its input.
///
/// Equality compares only `kind` and `offset`; the extra detail kept for `description`
/// (the offending byte, the duplicated key, the depth limit) does not take part.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of problem found.
    public enum Kind: Sendable, Equatable {
        /// The input ended inside a value (or was empty).
        case unexpectedEnd
        /// A byte that cannot start or continue the expected token.
        case unexpectedCharacter
        /// Number text outside the RFC 8259 grammar, or one that overflows a Double.
        case invalidNumber
        /// A raw control character (< 0x20) inside a string.
        case invalidString
        /// A backslash escape that RFC 8259 does not define, or a malformed `\uXXXX`.
        case invalidEscape
        /// Bytes inside a string that are not well-formed UTF-8.
        case invalidUTF8
        /// A `\uXXXX` escape naming an unpaired UTF-16 surrogate.
        case loneSurrogate
        /// The same key twice in one object (compared code point by code point).
        case duplicateKey
        /// Arrays/objects nested deeper than the parser's `maxDepth`.
        case tooDeep
        /// Something other than whitespace after the top-level value.
        case trailingCharacters
        /// `parseObjectWithSpans` was given a JSON text whose top-level value is not an object.
        case notAnObject
    }

    /// Extra context used only to make `description` specific.
    internal enum Detail: Sendable {
        case none
        case byte(UInt8)
        case key(String)
        case depthLimit(Int)
    }

    /// The class of problem found.
    public var kind: Kind
    /// Byte offset into the input where the problem was detected.
    public var offset: Int
    internal var detail: Detail

    /// Creates an error of `kind` at byte `offset`; O(1).
    public init(kind: Kind, offset: Int) {
        self.init(kind: kind, offset: offset, detail: .none)
    }

    internal init(kind: Kind, offset: Int, detail: Detail) {
        self.kind = kind
        self.offset = offset
        self.detail = detail
    }

    /// Compares `kind` and `offset` only; O(1).
    public static func == (lhs: JSONParseError, rhs: JSONParseError) -> Bool {
        lhs.kind == rhs.kind && lhs.offset == rhs.offset
    }

    /// One human-readable line, safe to log: input-derived text is escaped and truncated; O(1).
    public var description: String {
        let at = "at byte \(offset)"
        switch kind {
        case .unexpectedEnd:
            return "unexpected end of input \(at)"
        case .unexpectedCharacter:
            if case let .byte(b) = detail {
                return "unexpected character \(Self.describe(byte: b)) \(at)"
            }
            return "unexpected character \(at)"
        case .invalidNumber:
            return "invalid number \(at)"
        case .invalidString:
            if case let .byte(b) = detail {
                return "unescaped control character \(Self.describe(byte: b)) in string \(at)"
            }
            return "invalid string \(at)"
        case .invalidEscape:
            return "invalid escape sequence \(at)"
        case .invalidUTF8:
            return "invalid UTF-8 \(at)"
        case .loneSurrogate:
            return "unpaired UTF-16 surrogate escape \(at)"
        case .duplicateKey:
            if case let .key(key) = detail {
                return "duplicate key \(Self.quoted(key)) \(at)"
            }
            return "duplicate key \(at)"
        case .tooDeep:
            if case let .depthLimit(limit) = detail {
                return "JSON nested deeper than \(limit) levels \(at)"
            }
            return "JSON nested too deeply \(at)"
        case .trailingCharacters:
            return "unexpected data after the JSON value \(at)"
        case .notAnObject:
            return "expected a JSON object \(at)"
        }
    }

    /// Printable ASCII is shown quoted; anything else as hex, so a message never carries raw
    /// control bytes or half a UTF-8 sequence into a log line.
    private static func describe(byte: UInt8) -> String {
        if byte >= 0x21 && byte <= 0x7E && byte != UInt8(ascii: "'") {
            return "'\(Character(Unicode.Scalar(byte)))'"
        }
        let hex: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]
        return "0x\(hex[Int(byte >> 4)])\(hex[Int(byte & 0x0F)])"
    }

    /// Keys come from untrusted input, so they are JSON-escaped (one line, no raw controls)
    /// and cut to a bounded length before going into a message.
    private static func quoted(_ key: String) -> String {
        let limit = 64
        let scalars = key.unicodeScalars
        let truncated = scalars.count > limit
        let shown = truncated ? String(scalars.prefix(limit)) : key
        let suffix = truncated ? "..." : ""
        var bytes: [UInt8] = []
        CanonicalJSON.writeString(shown, into: &bytes)
        return String(decoding: bytes, as: UTF8.self) + suffix
    }
}
