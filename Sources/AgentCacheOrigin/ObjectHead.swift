/// The response headers of an origin object that are passed through to clients.
public struct ObjectHead: Sendable, Equatable {
    public var contentType: String?
    public var etag: String?
    public var lastModified: String?
    /// The body length when the origin announced it.
    public var contentLength: Int?

    /// Makes a head.
    public init(contentType: String? = nil, etag: String? = nil, lastModified: String? = nil, contentLength: Int? = nil) {
        self.contentType = contentType
        self.etag = etag
        self.lastModified = lastModified
        self.contentLength = contentLength
    }
}
