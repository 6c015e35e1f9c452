#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AgentCacheCore
import NIOConcurrencyHelpers

/// One process per `--data-dir` (SPEC §6): an exclusive `flock` on `<directory>/agentcache.lock`,
/// held from `init` until `release` (or deinit), with the holder's pid written in the file so a
/// second process can say who holds it. `flock` belongs to an open file description, so two
/// locks on one directory conflict within one process too. The kernel drops the lock when the
/// process dies (even by SIGKILL), so a crash never leaves the directory locked.
///
/// Hand-written on Glibc: neither swift-system nor NIO's file system wraps `flock`.
public final class DataDirectoryLock: Sendable {
    /// The directory locked.
    public let directory: String
    /// The lock file, `<directory>/agentcache.lock`.
    public let path: String
    /// The open lock file; -1 once released.
    private let descriptor: NIOLockedValueBox<Int32>

    /// Takes the lock on `directory` (which must exist), or throws `INTERNAL_ERROR` with one line
    /// naming the directory and the holder's pid. Cost: an open, a `flock`, a small write.
    public init(directory: String) throws(CacheError) {
        self.directory = directory
        self.path = directory + "/agentcache.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw CacheError(.internalError, "could not open \(path) to lock data directory \(directory) (--data-dir): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = Self.holder(fd)
            close(fd)
            guard reason == EWOULDBLOCK else {
                throw CacheError(.internalError, "could not lock data directory \(directory) (--data-dir): \(String(cString: strerror(reason)))")
            }
            throw CacheError(
                .internalError,
                "data directory \(directory) is in use by another agentcache process (pid \(holder ?? "unknown"), see \(path)); stop it or give this one another --data-dir"
            )
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        descriptor = NIOLockedValueBox(fd)
    }

    /// Whether this lock is still held (not released).
    public var isHeld: Bool { descriptor.withLockedValue { $0 >= 0 } }

    /// Gives the lock up (idempotent): empties the pid and closes the file.
    public func release() {
        descriptor.withLockedValue { fd in
            guard fd >= 0 else { return }
            _ = ftruncate(fd, 0)
            // Unlocked explicitly: a child forked meanwhile may still hold a copy of the
            // descriptor (until its exec closes it), and closing ours alone would leave the
            // lock held through that copy.
            _ = flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
    }

    deinit {
        release()
    }

    /// The pid the holder wrote, if any (the file is read through `fd`, which is not locked).
    private static func holder(_ fd: Int32) -> String? {
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let digits = bytes[0..<count].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        return digits.isEmpty ? nil : String(decoding: digits, as: UTF8.self)
    }
}
