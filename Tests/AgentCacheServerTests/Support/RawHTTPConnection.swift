import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection to a test server that writes raw bytes and reads raw HTTP/1.1 answers,
/// for what an HTTP client library hides (pipelining several requests in one write).
final class RawHTTPConnection {
    /// One answer: status line, lower-cased headers and body.
    struct Answer {
        let status: Int
        let headers: [String: String]
        let body: String
    }

    private let socket: Int32
    private var buffer: [UInt8] = []

    /// Connects to 127.0.0.1:`port` with a 5 s receive timeout.
    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw POSIXError(.EIO) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    deinit { close(socket) }

    /// A `POST path` request with a JSON `body` and extra header lines, as raw bytes.
    static func post(_ path: String, _ body: String, headers: [String] = []) -> String {
        let extra = headers.map { $0 + "\r\n" }.joined()
        return "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\(extra)\r\n\(body)"
    }

    /// Sends `bytes` in one write.
    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, 0) }
        guard sent == bytes.count else { throw POSIXError(.EIO) }
    }

    /// Reads the next `count` answers, in the order they arrive.
    func receive(_ count: Int) throws -> [Answer] {
        var answers: [Answer] = []
        while answers.count < count {
            if let answer = try parseOne() {
                answers.append(answer)
                continue
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let read = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard read > 0 else { throw POSIXError(.ETIMEDOUT) }
            buffer.append(contentsOf: chunk[0..<read])
        }
        return answers
    }

    /// One complete answer from the front of the buffer, or nil when more bytes are needed.
    private func parseOne() throws -> Answer? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = buffer.indices.dropLast(3).first(where: { Array(buffer[$0..<$0 + 4]) == separator }) else { return nil }
        let head = String(decoding: buffer[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard buffer.count >= end + 4 + length else { return nil }
        let body = String(decoding: buffer[(end + 4)..<(end + 4 + length)], as: UTF8.self)
        buffer.removeFirst(end + 4 + length)
        return Answer(status: status, headers: headers, body: body)
    }
}
