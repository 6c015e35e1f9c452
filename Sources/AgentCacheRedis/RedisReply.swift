/// One reply from Redis, copied out of hiredis's reply tree so no C memory outlives the call.
/// Copying costs one allocation per string and per array; replies are small on our paths.
public enum RedisReply: Sendable, Equatable, CustomStringConvertible {
    /// A simple status line such as `OK` or `PONG`.
    case status(String)
    /// A bulk string: arbitrary bytes, NULs included.
    case string([UInt8])
    /// An integer reply (`INCR`, `DEL`, `PUBLISH`).
    case integer(Int64)
    /// A multi-bulk reply (`MGET`, pub/sub messages).
    case array([RedisReply])
    /// The null bulk string or null array: a missing key.
    case null
    /// An error reply (`ERR ...`, `WRONGTYPE ...`). Top-level errors are thrown as
    /// `RedisError.server` by `execute`; inside a pipeline or an array they stay values.
    case error(String)

    /// The bytes of a bulk string or a status; nil for anything else.
    public var bytes: [UInt8]? {
        switch self {
        case .string(let bytes): bytes
        case .status(let text): Array(text.utf8)
        default: nil
        }
    }

    /// A bulk string or status as UTF-8 text (invalid sequences repaired); nil otherwise.
    public var text: String? {
        switch self {
        case .string(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    /// An integer reply, or a bulk string holding a decimal integer (`GET` of a counter).
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .string(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    /// Whether this is the null reply.
    public var isNull: Bool {
        if case .null = self { true } else { false }
    }

    /// A short rendering for logs and test failures; bulk strings show their length only
    /// when they are not printable text.
    public var description: String {
        switch self {
        case .status(let text): "+\(text)"
        case .string(let bytes):
            if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
                "\"\(String(decoding: bytes, as: UTF8.self))\""
            } else {
                "<\(bytes.count) bytes>"
            }
        case .integer(let value): ":\(value)"
        case .array(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .null: "(nil)"
        case .error(let message): "-\(message)"
        }
    }
}
