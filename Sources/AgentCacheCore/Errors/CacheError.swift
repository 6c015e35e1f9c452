/// An error the server reports to its caller: a contract code plus a one-line message.
/// Cheap to build; carries no HTTP types so the engine stays transport-free.
public struct CacheError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The contract code (SPEC §5).
    public var code: ErrorCode
    /// A human-readable sentence that says what was wrong and, where it helps, how to fix it.
    public var message: String
    /// For `originUnavailable`: the origin timed out (504) rather than failed (502).
    public var timedOut: Bool
    /// Extra response headers the answer must carry (e.g. `Retry-After` and the
    /// `X-RateLimit-*` trio on a 429). Plain names and values so the core stays HTTP-free;
    /// the HTTP layer renders them in the one place errors become responses.
    public var responseHeaders: [String: String]

    /// Makes an error with `code` and `message`.
    public init(_ code: ErrorCode, _ message: String, timedOut: Bool = false, responseHeaders: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.timedOut = timedOut
        self.responseHeaders = responseHeaders
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// 400 `INVALID_REQUEST` with `message`.
    public static func invalidRequest(_ message: String) -> CacheError {
        CacheError(.invalidRequest, message)
    }
}
