import HTTPTypes
import Hummingbird

extension Response {
    /// A JSON response with `status` and extra `headers`.
    static func json(_ body: ByteBuffer, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: body))
    }
}

extension HTTPField.Name {
    /// `X-Cache: HIT-edge|HIT-redis|MISS`.
    static let xCache = HTTPField.Name("X-Cache")!
    /// The client namespace when not given in the body.
    static let xCacheNamespace = HTTPField.Name("X-Cache-Namespace")!
    /// Credentials, as the published client sends them.
    static let xAPIKey = HTTPField.Name("X-API-Key")!
}
