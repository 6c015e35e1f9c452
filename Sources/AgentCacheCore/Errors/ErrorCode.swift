/// The error codes of the wire contract (SPEC §5). The HTTP layer maps each to a status in one place.
public enum ErrorCode: String, Sendable, CaseIterable {
    case apiKeyRequired = "API_KEY_REQUIRED"
    case invalidAPIKey = "INVALID_API_KEY"
    case apiKeyExpired = "API_KEY_EXPIRED"
    case insufficientPermissions = "INSUFFICIENT_PERMISSIONS"
    case rateLimitExceeded = "RATE_LIMIT_EXCEEDED"
    case quotaExceeded = "QUOTA_EXCEEDED"
    case invalidRequest = "INVALID_REQUEST"
    case payloadTooLarge = "PAYLOAD_TOO_LARGE"
    case notFound = "NOT_FOUND"
    /// The request contradicts what is stored (409): a tenant namespace held by another
    /// `(user_id, integration, project_id)`, a rotation racing another. Not among the seed's
    /// codes; the admin routes are the only ones that answer it.
    case conflict = "CONFLICT"
    /// A `Range` request starts past the end of the object (416, with `Content-Range: bytes */<length>`).
    case rangeNotSatisfiable = "RANGE_NOT_SATISFIABLE"
    case originUnavailable = "ORIGIN_UNAVAILABLE"
    /// A dependency the answer needs (the key store) cannot be reached; retry shortly.
    case serviceUnavailable = "SERVICE_UNAVAILABLE"
    /// The request head or body did not arrive within the connection deadlines (408).
    case requestTimeout = "REQUEST_TIMEOUT"
    /// The request target is longer than the server reads (414 URI Too Long, RFC 9110 §15.5.15).
    case uriTooLong = "URI_TOO_LONG"
    /// The request's header fields are larger or more than the server reads (431 Request
    /// Header Fields Too Large, RFC 6585 §5).
    case headerFieldsTooLarge = "REQUEST_HEADER_FIELDS_TOO_LARGE"
    /// The request uses an HTTP feature the server does not implement, such as a transfer
    /// coding other than `chunked` (501, RFC 9112 §6.1).
    case notImplemented = "NOT_IMPLEMENTED"
    case internalError = "INTERNAL_ERROR"
}
