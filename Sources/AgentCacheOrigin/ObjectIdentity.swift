/// The canonical identity of an origin object, the part of its cache key that names it:
/// `scheme://host[:port]/bucket/key[?versionId=...]` with the host lowercased, a default port
/// dropped, the path encoded the one S3 way, and presigning parameters (`X-Amz-*`,
/// `AWSAccessKeyId`, `Signature`, `Expires`) left out, so two presigned URLs for one object
/// share one entry. Other query parameters (e.g. `response-content-type`) stay, sorted,
/// because they change the answer. Cheap: built once per request from a parsed `OriginURL`.
public struct ObjectIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The canonical string hashed into the object key.
    public let canonical: String

    /// The identity of `url`.
    public init(_ url: OriginURL) {
        var text = "\(url.scheme)://\(url.host)"
        if let port = url.port { text += ":\(port)" }
        text += SigV4Signer.encodePath(url.path)
        let kept = url.query.filter { !Self.isPresigning($0.name) && $0.name.lowercased() != "x-id" }
        if !kept.isEmpty { text += "?" + SigV4Signer.canonicalQuery(kept) }
        canonical = text
    }

    public var description: String { canonical }

    /// Whether `name` is a presigning parameter (SigV4 `X-Amz-*` or SigV2's three).
    public static func isPresigning(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasPrefix("x-amz-") || lower == "awsaccesskeyid" || lower == "signature" || lower == "expires"
    }
}
