import AgentCacheRedis
import Foundation
import NIOPosix
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real redis-server on a free loopback port, owned by one test.
/// Start with `RedisServerProcess.start()` or, better, `withRedisServer { ... }` which stops it
/// however the test ends. Helpers freeze (SIGSTOP), thaw (SIGCONT), kill and restart it.
///
/// Every blocking step (spawning, waiting for exit, the PING probe) runs on NIO's blocking
/// thread pool: swift-testing runs tests in parallel on the cooperative pool (two threads
/// here), and blocking it would stall other tests and distort their timings.
public final class RedisServerProcess: @unchecked Sendable {
    // @unchecked: tests drive one instance from one task at a time; `process` is only
    // replaced by restart(), which the owning test calls sequentially.

    public static let executable = "/usr/bin/redis-server"

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let port: Int
    public let password: String?
    /// The primary's port, for a replica (`--replicaof`).
    public let replicaOf: Int?
    private var process: SpawnedProcess?
    private let directory: URL

    public var url: RedisURL {
        RedisURL(host: "127.0.0.1", port: port, password: password)
    }

    private init(port: Int, password: String?, replicaOf: Int?) throws {
        self.port = port
        self.password = password
        self.replicaOf = replicaOf
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("agentcache-redis-\(port)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Starts a server on a free port and waits until it answers PING.
    /// Fails (never skips) when redis-server is not installed.
    /// `replicaOf`: the port of a primary on 127.0.0.1 this server replicates.
    public static func start(password: String? = nil, replicaOf: Int? = nil) async throws -> RedisServerProcess {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw Failure(description: "\(executable) is missing: run scripts/test, which installs redis-server (apt-get install redis-server)")
        }
        var lastError: (any Error)?
        // A port found free can be taken by someone else before redis binds it; try a few.
        for _ in 0..<5 {
            let server = try RedisServerProcess(port: try freeLoopbackPort(), password: password, replicaOf: replicaOf)
            do {
                try await server.launch()
                return server
            } catch {
                lastError = error
                await server.stop()
            }
        }
        throw lastError ?? Failure(description: "redis-server did not start")
    }

    /// Launches redis-server on `port` and waits up to 5 s for PING to answer.
    public func launch() async throws {
        var arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory.path, "--daemonize", "no", "--loglevel", "warning",
        ]
        if let password { arguments += ["--requirepass", password] }
        if let replicaOf { arguments += ["--replicaof", "127.0.0.1", String(replicaOf)] }
        let process = try await TestProcess.spawn(Self.executable, arguments)
        self.process = process
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw Failure(description: "redis-server exited at start on port \(port)") }
            if let serverPID = await serverProcessID() {
                guard serverPID == process.processIdentifier else {
                    throw Failure(description: "port \(port) is held by another redis-server (pid \(serverPID))")
                }
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Failure(description: "redis-server on port \(port) did not answer PING within 5 s")
    }

    /// The pid of the redis-server answering on our port (`INFO server`), or nil when none
    /// answers yet. Lets `launch` make sure it talks to its own process.
    public func serverProcessID() async -> Int32? {
        let url = self.url
        return (try? await NIOThreadPool.singleton.runIfActive { () -> Int32? in
            guard let connection = try? RedisConnection(url: url, connectTimeout: .milliseconds(200), commandTimeout: .milliseconds(200)),
                let info = (try? connection.execute(["INFO", "server"]))?.text
            else { return nil }
            defer { connection.close() }
            let line = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("process_id:") }
            return line.flatMap { Int32($0.dropFirst("process_id:".count)) }
        }) ?? nil
    }

    var pid: pid_t { process?.processIdentifier ?? 0 }

    /// SIGSTOP: the server hangs but the kernel still accepts connections. Waits 50 ms so
    /// the SIGCHLD the kernel sends us for a stopped child has been delivered: it would
    /// interrupt a blocked read with EINTR, which hiredis retries with a fresh timeout, and
    /// so distort the first timing (a test artefact: production servers do not stop children).
    public func freeze() async {
        _ = kill(pid, SIGSTOP)
        try? await Task.sleep(for: .milliseconds(50))
    }

    /// SIGCONT: the hung server resumes.
    public func thaw() { _ = kill(pid, SIGCONT) }

    /// SIGKILL and wait for the process to be gone (its port is then refused).
    public func kill9() async {
        guard let process, process.isRunning else { return }
        _ = kill(process.processIdentifier, SIGCONT)
        _ = kill(process.processIdentifier, SIGKILL)
        try? await NIOThreadPool.singleton.runIfActive { process.waitUntilExit() }
    }

    /// Kills the server and starts a fresh one on the same port (empty data).
    public func restart() async throws {
        await kill9()
        try await launch()
    }

    /// Kills the server (if running) and removes its directory. Idempotent.
    public func stop() async {
        await kill9()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        // Last resort if a test forgot stop(): never leave a redis-server behind.
        if let process, process.isRunning {
            _ = kill(process.processIdentifier, SIGKILL)
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Ports below Linux's ephemeral range (32768+), handed out once each per test process.
    /// bind(0) would be simpler, but while a test has killed its server to restart it on the
    /// same port, the kernel could hand that port to another test's new server.
    private static let nextPort = Mutex(20_000 + Int(getpid()) % 6_000)

    /// A loopback port no other test in this process has been given and nothing listens on.
    public static func freeLoopbackPort() throws -> Int {
        for _ in 0..<1_000 {
            let port = nextPort.withLock { next in
                defer { next = next >= 32_000 ? 20_000 : next + 1 }
                return next
            }
            if try canBind(port) { return port }
        }
        throw Failure(description: "no free loopback port in 20000...32000")
    }

    private static func canBind(_ port: Int) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        defer { close(fd) }
        return withLoopbackAddress(port: port) { bind(fd, $0, $1) } == 0
    }
}

/// Runs `body` with a fresh redis-server and always stops it afterwards.
public func withRedisServer<T>(
    password: String? = nil,
    _ body: (RedisServerProcess) async throws -> T
) async throws -> T {
    try await TestProcess.using(try await RedisServerProcess.start(password: password), stop: { await $0.stop() }, body)
}

/// Hands a `Process` to a pool thread. @unchecked: the test owning it waits for the thread.
struct ProcessBox: @unchecked Sendable {
    let process: Process
    init(_ process: Process) { self.process = process }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
public func eventually(
    within timeout: Duration,
    _ condition: () async -> Bool
) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

/// A client with test-friendly settings against `server`.
public func makeClient(
    _ server: RedisServerProcess,
    database: Int = 0,
    commandTimeout: Duration = .milliseconds(250),
    coolDown: Duration = .seconds(1)
) -> RedisClient {
    var url = server.url
    url.database = database
    return RedisClient(
        configuration: RedisClientConfiguration(
            url: url,
            poolSize: 4,
            connectTimeout: .milliseconds(250),
            commandTimeout: commandTimeout,
            breakerFailureThreshold: 3,
            breakerCoolDown: coolDown
        )
    )
}

/// The `RedisError` `body` throws, or nil when it succeeds.
public func redisError<T>(_ body: () async throws(RedisError) -> T) async -> RedisError? {
    do throws(RedisError) {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}
