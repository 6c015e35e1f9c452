import AgentCacheCore
import Crypto

/// AWS Signature Version 4 for S3 `GET`/`HEAD` (and, for tests and tools, any method):
/// header signing and query-string presigning. Cost per signature: one SHA-256 of the
/// canonical request and five HMAC-SHA256s (the signing key is re-derived per call; it only
/// changes daily, but five HMACs of a few bytes are cheaper than a cache's lock).
public struct SigV4Signer: Sendable {
    /// The SHA-256 of an empty body, the payload hash of a `GET`/`HEAD`.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// The payload hash that tells S3 the body is not signed.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    public let accessKey: String
    public let secretKey: String
    public let region: String
    public let service: String

    /// A signer for `accessKey`/`secretKey` in `region` (S3 by default).
    public init(accessKey: String, secretKey: String, region: String, service: String = "s3") {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.region = region
        self.service = service
    }

    /// The headers to add to a request so S3 accepts it: `Authorization`, `x-amz-date` and
    /// `x-amz-content-sha256`. `host` is the `Host` header value (with a non-default port);
    /// `path` is the decoded object path (`/bucket/key`), encoded here the S3 way; `query` are
    /// decoded name/value pairs; `headers` are further headers to sign (e.g. `range`).
    public func signedHeaders(
        method: String,
        host: String,
        path: String,
        query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [],
        payloadHash: String = SigV4Signer.emptyPayloadHash,
        amzDate: String
    ) -> [(name: String, value: String)] {
        var all = headers.map { (name: $0.name.lowercased(), value: Self.trimmed($0.value)) }
        all.append((name: "host", value: host))
        all.append((name: "x-amz-content-sha256", value: payloadHash))
        all.append((name: "x-amz-date", value: amzDate))
        all.sort { $0.name < $1.name }
        let signedNames = all.map(\.name).joined(separator: ";")
        let canonical = [
            method,
            Self.encodePath(path),
            Self.canonicalQuery(query),
            all.map { "\($0.name):\($0.value)\n" }.joined(),
            signedNames,
            payloadHash,
        ].joined(separator: "\n")
        let scope = credentialScope(amzDate)
        let signature = sign(canonical, amzDate: amzDate, scope: scope)
        let authorization = "AWS4-HMAC-SHA256 Credential=\(accessKey)/\(scope), SignedHeaders=\(signedNames), Signature=\(signature)"
        return [
            (name: "Authorization", value: authorization),
            (name: "x-amz-content-sha256", value: payloadHash),
            (name: "x-amz-date", value: amzDate),
        ]
    }

    /// The query of a presigned URL (`X-Amz-*` parameters, signature last) for `method` on
    /// `path` at `host`, valid `expiresSeconds` from `amzDate`. Only `host` is signed.
    public func presignedQuery(
        method: String,
        host: String,
        path: String,
        expiresSeconds: Int,
        amzDate: String
    ) -> [(name: String, value: String)] {
        let scope = credentialScope(amzDate)
        var query: [(name: String, value: String)] = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "\(accessKey)/\(scope)"),
            ("X-Amz-Date", amzDate),
            ("X-Amz-Expires", String(expiresSeconds)),
            ("X-Amz-SignedHeaders", "host"),
        ]
        let canonical = [
            method, Self.encodePath(path), Self.canonicalQuery(query), "host:\(host)\n", "host", Self.unsignedPayload,
        ].joined(separator: "\n")
        query.append(("X-Amz-Signature", sign(canonical, amzDate: amzDate, scope: scope)))
        return query
    }

    /// `yyyyMMdd'T'HHmmss'Z'` of a Unix time in milliseconds.
    public static func amzDate(epochMillis: Int64) -> String {
        let time = Timestamp.civilTime(millis: epochMillis)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(time.year)\(two(time.month))\(two(time.day))T\(two(time.hour))\(two(time.minute))\(two(time.second))Z"
    }

    /// `/`-separated segments each URI-encoded; S3 encodes the path once (no double encoding).
    public static func encodePath(_ path: String) -> String {
        uriEncode(path, keepSlash: true)
    }

    /// Sorted `name=value` pairs, both URI-encoded (`/` too), joined with `&`.
    public static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        query.map { (name: uriEncode($0.name, keepSlash: false), value: uriEncode($0.value, keepSlash: false)) }
            .sorted { $0.name == $1.name ? $0.value < $1.value : $0.name < $1.name }
            .map { "\($0.name)=\($0.value)" }
            .joined(separator: "&")
    }

    /// RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else `%XX`.
    public static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func credentialScope(_ amzDate: String) -> String {
        "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
    }

    private func sign(_ canonicalRequest: String, amzDate: String, scope: String) -> String {
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(Hex.encode(SHA256.hash(data: Array(canonicalRequest.utf8))))"
        var key = SymmetricKey(data: Array("AWS4\(secretKey)".utf8))
        for part in [String(amzDate.prefix(8)), region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }


    /// Header values are signed with surrounding whitespace trimmed and inner runs collapsed.
    private static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
