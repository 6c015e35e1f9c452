/// Which browser origins may call the API (`--cors-origin`, SPEC §1; the Fetch standard's CORS
/// protocol): none by default, `*`, or a list of exact origins (`https://app.example`).
public struct CORSPolicy: Sendable, Equatable {
    /// The allowed origins; `["*"]` allows any; empty turns CORS off.
    public var origins: [String]

    /// A policy allowing `origins`.
    public init(origins: [String] = []) {
        self.origins = origins
    }

    /// Whether CORS answers anything at all.
    public var isEnabled: Bool { !origins.isEmpty }

    /// Whether any origin is allowed (then no `Vary: Origin` is needed).
    var allowsAny: Bool { origins.contains("*") }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, or nil when it is
    /// not allowed (the browser then refuses the answer to the page).
    func allowOrigin(for origin: String?) -> String? {
        guard let origin else { return nil }
        if allowsAny { return "*" }
        return origins.contains(origin) ? origin : nil
    }

    /// Whether a request carrying `origin` (the Fetch standard's `Origin`, which browsers send
    /// with every cross-origin request, and with same-origin ones but GET and HEAD) comes from
    /// a page this server lets call it: no `Origin` (not a browser page), the server's own
    /// origin (`host` is the request's `Host`), or an allowed one.
    func admits(origin: String?, host: String?) -> Bool {
        guard let origin else { return true }
        if let host, origin == "http://" + host || origin == "https://" + host { return true }
        return allowOrigin(for: origin) != nil
    }

    /// Headers a page may send: what the published client and the API read.
    static let allowedHeaders = "Content-Type, X-API-Key, Authorization, X-Cache-Namespace"
    /// Headers a page may read from an answer.
    static let exposedHeaders = "X-Cache, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After"
    /// How long a browser may remember a preflight answer, in seconds.
    static let maxAgeSeconds = 600

    /// A one-line reason when an entry is neither `*` nor `scheme://host[:port]`.
    public var problem: String? {
        for origin in origins where origin != "*" {
            let parts = origin.split(separator: "/", omittingEmptySubsequences: false)
            let schemeOK = origin.hasPrefix("http://") || origin.hasPrefix("https://")
            if !schemeOK || parts.count != 3 || parts[2].isEmpty || origin.hasSuffix("/") || origin.contains("*") {
                return "--cors-origin: '\(origin)' is not * or an origin such as https://app.example or http://localhost:3000 (scheme, host, optional port; no path, no wildcard: list each origin)"
            }
        }
        return nil
    }
}
