import AgentCacheCore
import HTTPTypes

extension CacheError {
    /// The HTTP status of this error: the one place codes map to statuses (SPEC §5).
    var httpStatus: HTTPResponse.Status {
        switch code {
        case .apiKeyRequired, .invalidAPIKey, .apiKeyExpired: .unauthorized
        case .insufficientPermissions: .forbidden
        case .rateLimitExceeded, .quotaExceeded: .tooManyRequests
        case .invalidRequest: .badRequest
        case .payloadTooLarge: .contentTooLarge
        case .notFound: .notFound
        case .conflict: .conflict
        case .rangeNotSatisfiable: .rangeNotSatisfiable
        case .originUnavailable: timedOut ? .gatewayTimeout : .badGateway
        case .serviceUnavailable: .serviceUnavailable
        case .requestTimeout: .requestTimeout
        case .uriTooLong: .uriTooLong
        case .headerFieldsTooLarge: .requestHeaderFieldsTooLarge
        case .notImplemented: .notImplemented
        case .internalError: .internalServerError
        }
    }
}
