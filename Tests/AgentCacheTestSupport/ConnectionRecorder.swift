#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP listener on a free 127.0.0.1 port that never answers and only counts the
/// connections made to it: stands for another local service (Redis, a database) that an
/// origin fetch must never reach. A connection completes in the kernel's accept queue as soon
/// as a client connects, so `connections()` is exact once the client has given its answer.
public final class ConnectionRecorder: Sendable {
    /// The port it listens on.
    public let port: Int
    private let socketDescriptor: Int32

    /// Binds 127.0.0.1 on a port the kernel picks and listens.
    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RedisServerProcess.Failure(description: "socket() failed") }
        guard withLoopbackAddress(port: 0, { bind(fd, $0, $1) }) == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw RedisServerProcess.Failure(description: "could not listen on 127.0.0.1")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        socketDescriptor = fd
    }

    /// Connections made since the last call (accepted and closed here, without blocking).
    public func connections() -> Int {
        var count = 0
        while true {
            let accepted = accept(socketDescriptor, nil, nil)
            guard accepted >= 0 else { return count }
            close(accepted)
            count += 1
        }
    }

    deinit { close(socketDescriptor) }
}
