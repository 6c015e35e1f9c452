#if canImport(Glibc)
import Glibc
#endif

/// The process's open-file limit (`RLIMIT_NOFILE`). Every client connection is a descriptor,
/// and running out of them is fatal beyond the server: the Swift runtime's thread pool reads
/// `/proc` and aborts the process when it cannot open a file. So at start the soft limit is
/// raised to the hard one (as Go's runtime and nginx's `worker_rlimit_nofile` do), and
/// `--max-connections` is kept `reserve` below what is left.
enum OpenFileLimit {
    /// Descriptors kept for everything but client connections: Redis, the origin, the key
    /// file, the runtime.
    static let reserve = 128

    /// Raises the soft limit to the hard limit where allowed; returns the soft limit in force.
    static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return Int.max }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// The most client connections `limit` descriptors allow.
    static func connections(within limit: Int) -> Int {
        max(16, limit - reserve)
    }
}
