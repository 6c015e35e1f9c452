import AgentCacheCore
import HTTPTypes
import Hummingbird

extension Request {
    /// The body, refused with 413 `PAYLOAD_TOO_LARGE` past `limit` bytes (by its declared
    /// length when it has one, so an oversized upload is refused before it is read).
    func collectBody(upTo limit: Int) async throws -> ByteBuffer {
        if let declared = headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw Self.tooLarge(limit)
        }
        do {
            return try await body.collect(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw Self.tooLarge(limit)
        }
    }

    private static func tooLarge(_ limit: Int) -> CacheError {
        CacheError(.payloadTooLarge, "request body is larger than the \(limit)-byte limit (--max-body-bytes)")
    }
}
