/// An error the server reports to its caller: a contract code plus a one-line message.
/// Cheap to build; carries no HTTP types so the engine stays transport-free.
public struct CacheError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The contract code (SPEC §5).
    public var code: ErrorCode
    /// A human-readable sentence that says what was wrong and, where it helps, how to fix it.
    public var message: String
    /// For `originUnavailable`: the origin timed out (504) rather than failed (502).
    public var timedOut: Bool

    /// Makes an error with `code` and `message`.
    public init(_ code: ErrorCode, _ message: String, timedOut: Bool = false) {
        self.code = code
        self.message = message
        self.timedOut = timedOut
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// 400 `INVALID_REQUEST` with `message`.
    public static func invalidRequest(_ message: String) -> CacheError {
        CacheError(.invalidRequest, message)
    }
}
