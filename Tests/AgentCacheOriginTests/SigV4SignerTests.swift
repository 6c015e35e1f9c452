import AgentCacheOrigin
import Testing

@Suite struct SigV4SignerTests {
    /// AWS's published "GET Object" example (SigV4 docs, "Examples: Signature Calculations in AWS Signature Version 4").
    @Test func signsAWSsGetObjectExampleToItsPublishedSignature() {
        let signer = SigV4Signer(
            accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1"
        )
        let headers = signer.signedHeaders(
            method: "GET",
            host: "examplebucket.s3.amazonaws.com",
            path: "/test.txt",
            headers: [(name: "Range", value: "bytes=0-9")],
            amzDate: "20130524T000000Z"
        )
        let authorization = headers.first { $0.name == "Authorization" }?.value
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
        #expect(headers.contains { $0.name == "x-amz-content-sha256" && $0.value == SigV4Signer.emptyPayloadHash })
    }

    /// AWS's published presigned-URL example (query-string authentication).
    @Test func presignsAWSsExampleToItsPublishedSignature() {
        let signer = SigV4Signer(
            accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1"
        )
        let query = signer.presignedQuery(
            method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", expiresSeconds: 86_400, amzDate: "20130524T000000Z"
        )
        #expect(query.last?.name == "X-Amz-Signature")
        #expect(query.last?.value == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test func formatsAmzDateFromEpochMillis() {
        #expect(SigV4Signer.amzDate(epochMillis: 1_369_353_600_000) == "20130524T000000Z")
        #expect(SigV4Signer.amzDate(epochMillis: 1_700_000_000_000) == "20231114T221320Z")
    }

    @Test func encodesPathsOnceKeepingSlashes() {
        #expect(SigV4Signer.encodePath("/b/my file+1~.txt") == "/b/my%20file%2B1~.txt")
        #expect(SigV4Signer.canonicalQuery([(name: "b", value: "2/3"), (name: "a", value: "")]) == "a=&b=2%2F3")
    }
}
