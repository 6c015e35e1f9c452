import AgentCacheTestSupport
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection to a test server that writes raw bytes and reads raw HTTP/1.1 answers,
/// for what an HTTP client library hides (pipelining, chunked bodies without a length).
/// Blocking reads run on a thread of their own: blocking Swift's cooperative pool (one thread
/// per core) would starve the server's own handlers, which run on that pool.
final class RawHTTPConnection: @unchecked Sendable {
    // @unchecked: the buffer is touched by one call at a time (each test awaits its reads).

    /// One answer: status, lower-cased headers and body.
    struct Answer {
        let status: Int
        let headers: [String: String]
        let body: String
    }

    private let socket: Int32
    private var buffer: [UInt8] = []

    /// Connects to 127.0.0.1:`port`; reads give up after 10 s of silence.
    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw RawHTTPError.socket(errno) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let socket = self.socket
        guard withLoopbackAddress(port: port, { connect(socket, $0, $1) }) == 0 else {
            let error = errno
            close(socket)
            throw RawHTTPError.connect(error)
        }
    }

    deinit { close(socket) }

    /// A `POST path` request with a JSON `body` and extra header lines, as raw text.
    static func post(_ path: String, _ body: String, headers: [String] = []) -> String {
        let extra = headers.map { $0 + "\r\n" }.joined()
        return "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\(extra)\r\n\(body)"
    }

    /// A `method path` request with `body` (a `Content-Length` when not empty) and extra
    /// header lines, as raw text; the path is sent exactly as given.
    static func request(_ method: String, _ path: String, _ body: String = "", headers: [String] = []) -> String {
        let extra = headers.map { $0 + "\r\n" }.joined()
        let length = body.isEmpty ? "" : "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
        return "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n\(length)\(extra)\r\n\(body)"
    }

    /// Sends `text`.
    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    /// Sends `bytes` from a thread of its own, for sends that may block until the server reads.
    func sendBlocking(_ bytes: [UInt8]) async throws {
        try await onOwnThread { try self.send(bytes) }
    }

    /// Shuts the write side down (the server reads end of file).
    func shutdownWrite() {
        shutdown(socket, Int32(SHUT_WR))
    }

    /// Sends `bytes`, all of them.
    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw RawHTTPError.send(errno) }
            sent += written
        }
    }

    /// The next `count` answers, in the order they arrive (each with a `Content-Length`);
    /// `bodiless` for answers to HEAD, whose `Content-Length` has no body behind it.
    func receive(_ count: Int, bodiless: Bool = false) async throws -> [Answer] {
        try await onOwnThread {
            var answers: [Answer] = []
            while answers.count < count {
                if let answer = try self.parseOne(bodiless: bodiless) {
                    answers.append(answer)
                } else if try !self.readMore() {
                    throw RawHTTPError.malformed(String(decoding: self.buffer, as: UTF8.self))
                }
            }
            return answers
        }
    }

    /// Everything the server sends until it closes the connection.
    func receiveUntilClose() async throws -> [UInt8] {
        try await onOwnThread {
            while try self.readMore() {}
            return self.buffer
        }
    }

    /// Reads what is there into the buffer; false once the server closed the connection.
    private func readMore() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let read = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        if read < 0 { throw RawHTTPError.receive(errno) }
        buffer.append(contentsOf: chunk[0..<read])
        return read > 0
    }

    /// One complete answer from the front of the buffer, or nil when more bytes are needed.
    private func parseOne(bodiless: Bool) throws -> Answer? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = buffer.indices.dropLast(3).first(where: { Array(buffer[$0..<$0 + 4]) == separator }) else { return nil }
        let head = String(decoding: buffer[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw RawHTTPError.malformed(head[0]) }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = bodiless ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        guard buffer.count >= end + 4 + length else { return nil }
        let body = String(decoding: buffer[(end + 4)..<(end + 4 + length)], as: UTF8.self)
        buffer.removeFirst(end + 4 + length)
        return Answer(status: status, headers: headers, body: body)
    }

    private func onOwnThread<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
}

enum RawHTTPError: Error {
    case socket(Int32)
    case connect(Int32)
    case send(Int32)
    case receive(Int32)
    case malformed(String)
}
