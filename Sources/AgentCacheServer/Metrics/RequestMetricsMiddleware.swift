import HTTPTypes
import Hummingbird
import NIOCore

/// Counts and times every request by route template, method and status. The route is the
/// registered path (never the raw URI), so the series count stays fixed.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = NIODeadline.now()
        let response = try await next(request, context)
        metrics.recordRequest(
            route: context.endpointPath ?? "unmatched",
            method: request.method.rawValue,
            status: response.status.code,
            nanoseconds: (NIODeadline.now() - start).nanoseconds
        )
        return response
    }
}
