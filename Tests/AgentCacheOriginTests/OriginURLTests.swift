import AgentCacheCore
import AgentCacheOrigin
import Testing

@Suite struct OriginURLTests {
    @Test func identityLowercasesHostDropsDefaultPortAndNormalisesEncoding() throws {
        let a = try OriginURL(absolute: "https://S3.Example.COM:443/bucket/a%20b/c~d.txt")
        let b = try OriginURL(absolute: "https://s3.example.com/bucket/a b/c%7Ed.txt")
        #expect(a.identity == b.identity)
        #expect(a.identity.canonical == "https://s3.example.com/bucket/a%20b/c~d.txt")
        let other = try OriginURL(absolute: "http://s3.example.com:9000/bucket/a%20b/c~d.txt")
        #expect(other.identity.canonical == "http://s3.example.com:9000/bucket/a%20b/c~d.txt")
    }

    @Test func presigningParametersAreNotPartOfTheIdentityButVersionIdIs() throws {
        let v4 = try OriginURL(absolute: "https://h.example/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc&X-Amz-Date=20240101T000000Z&versionId=7")
        let v2 = try OriginURL(absolute: "https://h.example/b/k?AWSAccessKeyId=AK&Signature=x%3D&Expires=99&versionId=7")
        let plain = try OriginURL(absolute: "https://h.example/b/k?versionId=7")
        #expect(v4.identity == plain.identity)
        #expect(v2.identity == plain.identity)
        #expect(plain.identity.canonical == "https://h.example/b/k?versionId=7")
        #expect(v4.isPresigned && v2.isPresigned && !plain.isPresigned)
        #expect(try OriginURL(absolute: "https://h.example/b/k?versionId=8").identity != plain.identity)
        // The presigning parameters stay on the fetch.
        #expect(v4.fetchURL.contains("X-Amz-Signature=abc"))
    }

    @Test func refusesSchemesOtherThanHTTPAndHTTPS() {
        for text in ["file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://h/x", "javascript:alert(1)", "/relative/path", "h.example/b/k"] {
            #expect(throws: CacheError.self, "\(text)") { try OriginURL(absolute: text) }
        }
    }

    @Test func refusesUserInfoDotSegmentsAndBadPorts() {
        for text in ["http://user:pw@h.example/b/k", "http://h.example/b/../other/k", "http://h.example/b/%2E%2E/k", "http://h.example:99999/b"] {
            #expect(throws: CacheError.self, "\(text)") { try OriginURL(absolute: text) }
        }
    }

    @Test func pathFormIsPathStyleOnTheEndpoint() throws {
        let endpoint = try OriginURL(absolute: "http://127.0.0.1:9000")
        let url = try OriginURL(key: "/videos/intro 1.mp4", bucket: "media", endpoint: endpoint)
        #expect(url.identity.canonical == "http://127.0.0.1:9000/media/videos/intro%201.mp4")
        #expect(throws: CacheError.self) { try OriginURL(key: "../secret/k", bucket: "media", endpoint: endpoint) }
    }
}
