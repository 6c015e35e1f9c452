/// Why stored bytes could not be turned back into a value. A tier treats any of these as a miss.
public enum CodecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The header declares a raw length over the configured ceiling.
    case declaredLengthTooLarge(Int, limit: Int)
    /// The compressed block is malformed or expands to a different length than declared.
    case corrupt
    /// The entry header is truncated, of an unknown version, or inconsistent.
    case badHeader(String)

    public var description: String {
        switch self {
        case .declaredLengthTooLarge(let length, let limit): "declared raw length \(length) exceeds the limit \(limit)"
        case .corrupt: "compressed block is corrupt"
        case .badHeader(let why): "bad entry header: \(why)"
        }
    }
}
