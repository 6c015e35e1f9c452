#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers

/// A child process started with `posix_spawn`, output discarded: the servers tests run
/// (redis-server, moto). Hand-written rather than Foundation's `Process`, whose `run()` on
/// Linux crashed clean-clone CI runs (a memcpy on a bad pointer inside it while other test
/// threads worked), even with launches taking turns.
public final class SpawnedProcess: Sendable {
    /// The child's pid.
    public let processIdentifier: pid_t
    /// Set once the child has been reaped.
    private let exited = NIOLockedValueBox(false)

    /// Starts `executable` with `arguments` and this process's environment; stdin, stdout and
    /// stderr go to /dev/null. Throws when `posix_spawn` fails.
    public init(_ executable: String, _ arguments: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard status == 0 else {
            throw RedisServerProcess.Failure(description: "posix_spawn \(executable): \(String(cString: strerror(status)))")
        }
        processIdentifier = pid
    }

    /// Whether the child has not exited (reaps it when it has). O(1), never blocks.
    public var isRunning: Bool {
        exited.withLockedValue { exited in
            if exited { return false }
            var status: Int32 = 0
            let reaped = waitpid(processIdentifier, &status, WNOHANG)
            if reaped == processIdentifier || (reaped < 0 && errno == ECHILD) { exited = true }
            return !exited
        }
    }

    /// Blocks until the child has exited, and reaps it. Call it off the cooperative pool.
    public func waitUntilExit() {
        guard !exited.withLockedValue({ $0 }) else { return }
        var status: Int32 = 0
        while waitpid(processIdentifier, &status, 0) < 0 && errno == EINTR {}
        exited.withLockedValue { $0 = true }
    }
}
