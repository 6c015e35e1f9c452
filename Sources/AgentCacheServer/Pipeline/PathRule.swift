import AgentCacheCore
import Hummingbird

/// The one spelling of a path the server routes: `/` followed by non-empty segments, none of
/// them `.` or `..`, no trailing `/`, no percent-encoding and no backslash. The router would
/// otherwise fold `//api/cache/set` or `/api/cache/set/` into a registered route; here any
/// other spelling is 404, whatever route it resembles (SPEC §5). O(n) in the path.
enum PathRule {
    /// Whether `path` (without its query) is canonical.
    static func isCanonical(_ path: String) -> Bool {
        let bytes = path.utf8
        guard bytes.first == UInt8(ascii: "/") else { return false }
        if bytes.count == 1 { return true }
        guard bytes.last != UInt8(ascii: "/") else { return false }
        for segment in bytes.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if segment.isEmpty { return false }
            if segment.elementsEqual(".".utf8) || segment.elementsEqual("..".utf8) { return false }
            if segment.contains(UInt8(ascii: "%")) || segment.contains(UInt8(ascii: "\\")) { return false }
        }
        return true
    }
}

/// Answers 404 `NOT_FOUND` for a path that is not canonical, before routing decides
/// anything. Runs first among the router's middleware that can see a route.
struct PathRuleMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard PathRule.isCanonical(request.uri.path) else { throw CacheError(.notFound, "no such route") }
        return try await next(request, context)
    }
}
