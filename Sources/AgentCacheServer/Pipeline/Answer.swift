import AgentCacheCore
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1

/// A complete answer of a buffered route: status, headers and body. Built once by the route's
/// handler (or by `Answer.error` for a failure) and written by either entry point: as a
/// Hummingbird `Response` by the router, as NIO HTTP/1 parts by the event-loop dispatcher.
/// The writers add `Content-Length`, `Date` and `Server`.
struct Answer: Sendable {
    var status: HTTPResponse.Status
    /// Header names and values, in order.
    var headers: [(name: String, value: String)]
    var body: ByteBuffer

    /// A JSON answer.
    static func json(_ body: ByteBuffer, status: HTTPResponse.Status = .ok, headers: [(name: String, value: String)] = []) -> Answer {
        // Room for the rate-limit headers `Access.finish` adds: one array, grown never.
        var all: [(name: String, value: String)] = []
        all.reserveCapacity(headers.count + 4)
        all.append(contentsOf: headers)
        all.append(("Content-Type", "application/json"))
        return Answer(status: status, headers: all, body: body)
    }

    /// SPEC §5's `{"error": ..., "code": ...}` for `error`, with the status its code maps to
    /// and the headers it carries: the one place an error becomes an HTTP answer.
    static func error(_ error: CacheError) -> Answer {
        var writer = JSONObjectWriter(allocator: ByteBufferAllocator(), capacity: 96 + error.message.utf8.count)
        writer.field("error", string: error.message)
        writer.field("code", ascii: error.code.rawValue)
        let headers = error.responseHeaders.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        return .json(writer.finish(), status: error.httpStatus, headers: headers)
    }

    /// `outcome` as an answer: the answer, or its error rendered.
    static func rendering(_ outcome: Result<Answer, CacheError>) -> Answer {
        switch outcome {
        case .success(let answer): answer
        case .failure(let error): .error(error)
        }
    }

    /// As a Hummingbird response.
    var response: Response {
        var fields = HTTPFields()
        fields.reserveCapacity(headers.count)
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: body))
    }

    /// As NIO HTTP/1 headers, plus `extra`.
    func nioHeaders(adding extra: [(String, String)]) -> HTTPHeaders {
        var fields = HTTPHeaders()
        fields.reserveCapacity(headers.count + extra.count)
        for (name, value) in headers { fields.add(name: name, value: value) }
        for (name, value) in extra { fields.add(name: name, value: value) }
        return fields
    }
}

/// Something headers can be added to after its handler made it: the rate-limit headers that
/// admission decided go on every answer of an admitted request, buffered or streamed.
protocol HeaderCarrying: Sendable {
    mutating func addHeader(name: String, value: String)
}

extension Answer: HeaderCarrying {
    mutating func addHeader(name: String, value: String) { headers.append((name, value)) }
}

extension Response: HeaderCarrying {
    mutating func addHeader(name: String, value: String) {
        if let field = HTTPField.Name(name) { headers[field] = value }
    }
}
