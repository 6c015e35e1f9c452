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
        /// Number text outside the RFC 8259 grammar.
        case invalidNumber
        /// A number with more significant digits, or a larger decimal exponent, than the
        /// parser keeps (`JSONParser.maxSignificantDigits`, `maxDecimalExponent`).
        case numberOutOfRange
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
        case digitLimit(Int)
        case exponentLimit(Int)
    }

    /// The class of problem found.
    public var kind: Kind
    /// Byte offset into the input where the problem was detected.
    public var offset: Int
    /// The top-level member whose value held the problem, when the parser was reading one
    /// (`parseObjectWithSpans`); nil otherwise.
    public internal(set) var member: String?
    internal var detail: Detail

    /// The nesting limit that was exceeded, for `tooDeep`; nil otherwise.
    public var depthLimit: Int? {
        if case let .depthLimit(limit) = detail { return limit }
        return nil
    }

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
        let at = (member.map { "in \($0.quotedForMessage) " } ?? "") + "at byte \(offset)"
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
        case .numberOutOfRange:
            switch detail {
            case let .digitLimit(limit): return "number with more than \(limit) significant digits \(at)"
            case let .exponentLimit(limit): return "number beyond 1e\(limit) or below 1e-\(limit) in magnitude \(at)"
            default: return "number out of range \(at)"
            }
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
                return "duplicate key \(key.quotedForMessage) \(at)"
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
}
