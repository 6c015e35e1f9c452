import AgentCacheCore
import HTTPTypes
import Hummingbird
import Logging

/// Renders every error as SPEC §5's `{"error": ..., "code": ...}` with the status its code
/// maps to: the one place errors become HTTP. Unknown errors are logged and answered 500
/// without leaking their text.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let cacheError = Self.cacheError(for: error)
            if cacheError.code == .internalError {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            } else if cacheError.code == .serviceUnavailable {
                context.logger.warning("request refused: dependency unavailable", metadata: ["error": "\(cacheError.message)"])
            }
            return Answer.error(cacheError).response
        }
    }

    /// Translates what a handler or Hummingbird threw into a contract error.
    static func cacheError(for error: any Error) -> CacheError {
        if let cacheError = error as? CacheError { return cacheError }
        if let httpError = error as? any HTTPResponseError {
            switch httpError.status {
            case .notFound: return CacheError(.notFound, "no such route")
            case .contentTooLarge: return CacheError(.payloadTooLarge, "request body is larger than the server accepts")
            case .methodNotAllowed: return CacheError(.invalidRequest, "method not allowed on this route")
            case .badRequest: return CacheError(.invalidRequest, "bad request")
            default: break
            }
        }
        return CacheError(.internalError, "internal error")
    }

}
