import CHiredis
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One blocking connection to Redis: owns a hiredis `redisContext` and nothing else.
///
/// Every method blocks the calling thread for up to the command timeout (connect: up to the
/// connect timeout plus `AUTH`/`SELECT`), so call it from a thread pool, never from an event
/// loop or a Swift concurrency task directly; `RedisClient` does that for you.
///
/// After any I/O error, timeout or protocol error the connection is *broken* for good: a reply
/// that arrives late would otherwise be read as the answer to the next command. Callers
/// discard broken connections (`isBroken`) and open new ones.
///
/// `@unchecked Sendable` is safe because the only mutable state (the context pointer and the
/// broken flag) is read and written under `lock`, and hiredis touches the context only from
/// inside those critical sections. The lock is uncontended in practice: a pool hands a
/// connection to one thread at a time.
public final class RedisConnection: @unchecked Sendable {
    /// The server this connection talks to.
    public let url: RedisURL

    private let lock = NIOLock()
    /// Guarded by `lock`. nil once closed.
    private var context: UnsafeMutablePointer<redisContext>?
    /// Guarded by `lock`.
    private var broken = false

    /// hiredis writes with `write(2)`, which raises SIGPIPE on a socket the server closed and
    /// would kill the process; as hiredis's documentation advises, the signal is ignored once
    /// per process (the write then fails with EPIPE and we report an I/O error).
    private static let ignoreSIGPIPE: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()

    /// Connects, sets the command timeout, then sends `AUTH` and `SELECT` as the URL asks.
    /// Blocks for at most `connectTimeout` for TCP plus `commandTimeout` per login command.
    /// Throws `connectFailed` (refused, unreachable, connect timeout, login refused) or
    /// `timeout`/`io` when the server accepted the socket but does not answer (SIGSTOP).
    public init(url: RedisURL, connectTimeout: Duration, commandTimeout: Duration) throws(RedisError) {
        Self.ignoreSIGPIPE
        self.url = url
        guard let context = redisConnectWithTimeout(url.host, Int32(url.port), Self.makeTimeval(connectTimeout)) else {
            throw .connectFailed("cannot allocate a hiredis context")
        }
        if context.pointee.err != 0 {
            let why = Self.errorString(context)
            redisFree(context)
            throw .connectFailed(why == "Connection timed out" ? "connect timed out" : why.lowercased())
        }
        // A SIGSTOPped server still completes the TCP handshake (the kernel does it), so only
        // this read/write timeout keeps a command from blocking forever.
        guard redisSetTimeout(context, Self.makeTimeval(commandTimeout)) == REDIS_OK else {
            redisFree(context)
            throw .connectFailed("cannot set the command timeout")
        }
        self.context = context

        do {
            if let password = url.password {
                var auth: [RedisArgument] = ["AUTH"]
                if let user = url.user { auth.append(.string(user)) }
                auth.append(.string(password))
                _ = try execute(auth)
            }
            if url.database != 0 {
                _ = try execute(["SELECT", RedisArgument(url.database)])
            }
        } catch {
            close()
            // A refusal is a configuration problem; a silent server stays a timeout.
            if case .server(let message) = error { throw .connectFailed("login refused: \(message)") }
            throw error
        }
    }

    deinit {
        if let context { redisFree(context) }
    }

    /// Whether an I/O error, timeout or protocol error has made this connection unusable.
    public var isBroken: Bool {
        lock.withLock { broken || context == nil }
    }

    /// Closes the socket and frees the context. Idempotent; O(1).
    public func close() {
        lock.withLock {
            if let context { redisFree(context) }
            context = nil
        }
    }

    /// Sends one command and waits for its reply. Blocks up to the command timeout.
    /// An error reply throws `server(message)` and leaves the connection usable; anything
    /// else that fails marks it broken and throws `timeout`, `io` or `protocolError`.
    /// Cost: the arguments are copied once into one contiguous buffer for hiredis.
    public func execute(_ command: [RedisArgument]) throws(RedisError) -> RedisReply {
        guard !command.isEmpty else { throw .protocolError("empty command") }
        lock.lock()
        defer { lock.unlock() }
        let context = try usableContext()
        let raw = Self.withArgv(command) { argc, argv, lengths in
            redisCommandArgv(context, argc, argv, lengths)
        }
        guard let raw else { throw failLocked(context) }
        defer { freeReplyObject(raw) }
        let reply = Self.convert(raw.assumingMemoryBound(to: redisReply.self))
        if case .error(let message) = reply { throw .server(message) }
        return reply
    }

    /// Sends several commands in one write and reads their replies in order: one round trip.
    /// Error replies stay `.error` values in the result (they do not break the connection);
    /// a transport failure marks the connection broken and throws.
    public func pipeline(_ commands: [[RedisArgument]]) throws(RedisError) -> [RedisReply] {
        guard !commands.contains(where: \.isEmpty) else { throw .protocolError("empty command in pipeline") }
        lock.lock()
        defer { lock.unlock() }
        let context = try usableContext()
        for command in commands {
            let status = Self.withArgv(command) { argc, argv, lengths in
                redisAppendCommandArgv(context, argc, argv, lengths)
            }
            guard status == REDIS_OK else { throw failLocked(context) }
        }
        var replies = [RedisReply]()
        replies.reserveCapacity(commands.count)
        for _ in commands {
            replies.append(try readReplyLocked(context))
        }
        return replies
    }

    // MARK: - Push mode (pub/sub), used by RedisSubscriber

    /// Sends `command` without reading a reply (pub/sub mode, where replies are pushed).
    /// Blocks up to the command timeout if the socket buffer is full.
    func send(_ command: [RedisArgument]) throws(RedisError) {
        lock.lock()
        defer { lock.unlock() }
        let context = try usableContext()
        let status = Self.withArgv(command) { argc, argv, lengths in
            redisAppendCommandArgv(context, argc, argv, lengths)
        }
        guard status == REDIS_OK else { throw failLocked(context) }
        var done: Int32 = 0
        repeat {
            guard redisBufferWrite(context, &done) == REDIS_OK else { throw failLocked(context) }
        } while done == 0
    }

    /// Reads the next reply, blocking up to the command timeout.
    func readReply() throws(RedisError) -> RedisReply {
        lock.lock()
        defer { lock.unlock() }
        return try readReplyLocked(try usableContext())
    }

    /// The next pushed reply if one arrives within `timeoutMilliseconds`, else nil.
    ///
    /// Waits with `poll(2)` rather than the socket timeout: hiredis latches a read timeout as
    /// a fatal context error, whereas a quiet subscription is normal. `poll` lets the
    /// subscriber wake up regularly (to notice a stop request or send a keep-alive PING)
    /// without ever breaking the connection. hiredis's reader is drained first so replies
    /// that arrived in one read are not left waiting for more bytes.
    func pollReply(timeoutMilliseconds: Int32) throws(RedisError) -> RedisReply? {
        lock.lock()
        defer { lock.unlock() }
        let context = try usableContext()
        if let reply = try bufferedReplyLocked(context) { return reply }
        var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, timeoutMilliseconds)
        if ready == 0 || (ready < 0 && errno == EINTR) { return nil }
        guard ready > 0 else {
            broken = true
            throw .io("poll failed: \(String(cString: strerror(errno)))")
        }
        guard redisBufferRead(context) == REDIS_OK else { throw failLocked(context) }
        return try bufferedReplyLocked(context)
    }

    // MARK: - Internals (caller holds `lock`)

    private func usableContext() throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        guard let context else { throw .io("connection is closed") }
        guard !broken else { throw .io("connection is broken") }
        return context
    }

    private func readReplyLocked(_ context: UnsafeMutablePointer<redisContext>) throws(RedisError) -> RedisReply {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw failLocked(context) }
        defer { freeReplyObject(raw) }
        return Self.convert(raw.assumingMemoryBound(to: redisReply.self))
    }

    private func bufferedReplyLocked(_ context: UnsafeMutablePointer<redisContext>) throws(RedisError) -> RedisReply? {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReplyFromReader(context, &raw) == REDIS_OK else { throw failLocked(context) }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return Self.convert(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Marks the connection broken and turns hiredis's error into a `RedisError`.
    /// Must run right after the failing call so `errno` is still the call's.
    private func failLocked(_ context: UnsafeMutablePointer<redisContext>) -> RedisError {
        let savedErrno = errno
        broken = true
        let why = Self.errorString(context)
        switch context.pointee.err {
        case REDIS_ERR_IO:
            // In blocking mode hiredis reports an expired SO_RCVTIMEO/SO_SNDTIMEO as an I/O
            // error with errno EAGAIN ("Resource temporarily unavailable").
            if savedErrno == EAGAIN || savedErrno == EWOULDBLOCK || savedErrno == ETIMEDOUT
                || why == "Resource temporarily unavailable"
            {
                return .timeout
            }
            return .io(why.isEmpty ? "I/O error" : why.lowercased())
        case REDIS_ERR_EOF:
            return .io("server closed the connection")
        case REDIS_ERR_PROTOCOL:
            return .protocolError(why)
        default:
            return .io(why.isEmpty ? "unknown hiredis error" : why)
        }
    }

    // MARK: - C conversions

    private static func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { buffer in
            String(decoding: buffer.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    private static func makeTimeval(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = duration.components
        let micros = max(0, attoseconds / 1_000_000_000_000)
        // A zero timeval means "no timeout" to the kernel; never pass it by accident.
        if seconds <= 0 && micros < 1000 { return timeval(tv_sec: 0, tv_usec: 1000) }
        return timeval(tv_sec: Int(seconds), tv_usec: Int(micros))
    }

    /// Lays every argument out in one buffer and calls `body` with hiredis's argv/argvlen.
    /// Binary safe: lengths are explicit, NULs inside arguments are fine.
    private static func withArgv<Result>(
        _ arguments: [RedisArgument],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> Result
    ) -> Result {
        var storage = [UInt8]()
        storage.reserveCapacity(arguments.reduce(1) { $0 + $1.bytes.count })
        var offsets = [Int]()
        var lengths = [Int]()
        offsets.reserveCapacity(arguments.count)
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            offsets.append(storage.count)
            lengths.append(argument.bytes.count)
            storage.append(contentsOf: argument.bytes)
        }
        // One spare byte so an all-empty command still has a valid base address.
        storage.append(0)
        return storage.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                let base = chars.baseAddress!
                var pointers: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
                return pointers.withUnsafeMutableBufferPointer { argv in
                    lengths.withUnsafeBufferPointer { argvlen in
                        body(Int32(arguments.count), argv.baseAddress!, argvlen.baseAddress!)
                    }
                }
            }
        }
    }

    /// Copies a hiredis reply tree into a `RedisReply`. The caller frees the tree.
    private static func convert(_ pointer: UnsafePointer<redisReply>) -> RedisReply {
        let reply = pointer.pointee
        func bytes() -> [UInt8] {
            guard let str = reply.str, reply.len > 0 else { return [] }
            return Array(UnsafeRawBufferPointer(start: str, count: reply.len))
        }
        switch reply.type {
        case REDIS_REPLY_STRING:
            return .string(bytes())
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(reply.integer))
        case REDIS_REPLY_NIL:
            return .null
        case REDIS_REPLY_ARRAY:
            guard let elements = reply.element else { return .array([]) }
            var items = [RedisReply]()
            items.reserveCapacity(reply.elements)
            for index in 0..<reply.elements {
                if let element = elements[index] {
                    items.append(convert(element))
                } else {
                    items.append(.null)
                }
            }
            return .array(items)
        default:
            return .error("unknown hiredis reply type \(reply.type)")
        }
    }
}
