import AgentCacheCore
import HTTPTypes
import Hummingbird
import NIOCore

/// Every route of the server with what it needs (`RouteAccess`), registered in one place:
/// the only way a route reaches the router, so none can be added without declaring its
/// access. Buffered routes (`BufferedRoute`) are also served by the event-loop dispatcher,
/// which finds them here by method and exact path.
///
/// Paths follow one rule for routing and authorisation alike: a request path that is not
/// canonical (`PathRule`) matches no route and is 404 before any tenant is chosen.
final class RouteTable: Sendable {
    /// A registered route, for listing.
    struct Entry: Sendable, Hashable {
        let method: HTTPRequest.Method
        let path: String
        let access: RouteAccess
    }

    let entries: [Entry]
    /// Buffered routes by `"<METHOD> <path>"`.
    /// Buffered routes by method, then path: no key string is built per request.
    let buffered: [String: [String: BufferedRoute]]

    /// Collects routes into `router`; `build` freezes them.
    final class Builder {
        let router: Router<AgentCacheRequestContext>
        let gate: Access
        let maxBodyBytes: Int
        let trustForwardedFor: Bool
        private(set) var entries: [Entry] = []
        private(set) var buffered: [String: [String: BufferedRoute]] = [:]

        init(router: Router<AgentCacheRequestContext>, gate: Access, maxBodyBytes: Int, trustForwardedFor: Bool) {
            self.router = router
            self.gate = gate
            self.maxBodyBytes = maxBodyBytes
            self.trustForwardedFor = trustForwardedFor
        }

        /// A route answered from the whole body: `handler` runs after admission, on the event
        /// loop when the dispatcher serves it. GET routes also answer HEAD.
        func add(_ method: HTTPRequest.Method, _ path: String, _ access: RouteAccess, buffered handler: @escaping BufferedRoute.Handler) {
            let route = BufferedRoute(method: method, path: path, access: access, handler: handler, gate: gate)
            buffered[method.rawValue, default: [:]][path] = route
            let limit = maxBodyBytes
            let trust = trustForwardedFor
            register(method, path, access) { request, context in
                let started = NIODeadline.now().uptimeNanoseconds
                let head = try RequestHead(request, context, trustForwardedFor: trust)
                let answer = route.admit(head).flatMapResult { admitted -> Eventual<Answer> in
                    switch admitted {
                    case .failure(let error):
                        return .value(.error(error))
                    case .success(let caller):
                        // The body is read only now, after the head was admitted.
                        return .later {
                            let body: Result<ByteBuffer, CacheError>
                            do {
                                body = .success(try await request.collectBody(upTo: limit))
                            } catch {
                                body = .failure(ErrorMiddleware<AgentCacheRequestContext>.cacheError(for: error))
                            }
                            return await route.answer(caller, body: body, startedNanos: started).result
                        }
                    }
                }
                return try await answer.get().response
            }
        }

        /// A route whose handler writes its own `Response` (streams, admin answers); it runs
        /// after admission, with the caller. GET routes also answer HEAD.
        func add(
            _ method: HTTPRequest.Method,
            _ path: String,
            _ access: RouteAccess,
            _ handler: @escaping @Sendable (Request, AgentCacheRequestContext, Caller) async throws -> Response
        ) {
            let gate = self.gate
            let trust = trustForwardedFor
            register(method, path, access) { request, context in
                let head = try RequestHead(request, context, trustForwardedFor: trust)
                let caller = try await gate.admit(access, head, subject: context.parameters.get("api_key")).get()
                let steps = Eventual<Response>.later {
                    do {
                        return .success(try await handler(request, context, caller))
                    } catch {
                        return .failure(ErrorMiddleware<AgentCacheRequestContext>.cacheError(for: error))
                    }
                }
                return try gate.finish(caller, await gate.perform(caller, steps).result).get()
            }
        }

        /// A CORS preflight route (`OPTIONS`, public) for every `/api/` path registered so far,
        /// allowing the methods registered on it; `CORSHeaders` adds the allowed origin.
        func addPreflights() {
            var methods: [String: [String]] = [:]
            for entry in entries where entry.path.hasPrefix("/api/") {
                methods[entry.path, default: []].append(entry.method.rawValue)
            }
            for (path, allowed) in methods.sorted(by: { $0.key < $1.key }) {
                let allow = allowed.joined(separator: ", ")
                add(.options, path, .public) { _, _, _ in
                    Response(status: .noContent, headers: [
                        HTTPField.Name("Access-Control-Allow-Methods")!: allow,
                        HTTPField.Name("Access-Control-Allow-Headers")!: CORSPolicy.allowedHeaders,
                        HTTPField.Name("Access-Control-Max-Age")!: String(CORSPolicy.maxAgeSeconds),
                    ])
                }
            }
        }

        private func register(
            _ method: HTTPRequest.Method,
            _ path: String,
            _ access: RouteAccess,
            _ closure: @escaping @Sendable (Request, AgentCacheRequestContext) async throws -> Response
        ) {
            precondition(PathRule.isCanonical(path), "route path \(path) is not canonical")
            // Every GET route answers HEAD (SPEC §1): `ConnectionRules` drops the body.
            for each in method == .get ? [method, .head] : [method] {
                entries.append(Entry(method: each, path: path, access: access))
                router.on(RouterPath(path), method: each, use: closure)
            }
        }

        func build() -> RouteTable {
            RouteTable(entries: entries, buffered: buffered)
        }
    }

    private init(entries: [Entry], buffered: [String: [String: BufferedRoute]]) {
        self.entries = entries
        self.buffered = buffered
    }

    /// The buffered route `method` + `uri` names exactly (no query string), if any. A
    /// dictionary lookup.
    func bufferedRoute(method: String, uri: String) -> BufferedRoute? {
        buffered[method]?[uri]
    }
}

extension RequestHead {
    /// The head of a router request.
    convenience init(_ request: Request, _ context: AgentCacheRequestContext, trustForwardedFor: Bool) throws(CacheError) {
        try self.init(
            values: { name in HTTPField.Name(name).map { request.headers[values: $0] } ?? [] },
            remote: context.remoteAddress,
            trustForwardedFor: trustForwardedFor
        )
    }
}
