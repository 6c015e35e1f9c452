import AgentCacheTestSupport
import AgentCacheRedis
import Testing

@Suite("RedisClient against a real redis-server")
struct RedisClientTests {
    @Test("SET then GET round-trips text; a missing key is null")
    func roundTripText() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            #expect(try await client.execute(["SET", "greeting", "hello"]) == .status("OK"))
            #expect(try await client.execute(["GET", "greeting"]) == .string(Array("hello".utf8)))
            #expect(try await client.execute(["GET", "absent"]) == .null)
            await client.shutdown()
        }
    }

    @Test("binary values with NULs and every byte value round-trip exactly")
    func roundTripBinary() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            let value = (0..<1024).map { UInt8(truncatingIfNeeded: $0) } + [0, 0, 0]
            let key: [UInt8] = [0x61, 0x00, 0x62, 0xFF]
            _ = try await client.execute([.string("SET"), .bytes(key), .bytes(value)])
            #expect(try await client.execute([.string("GET"), .bytes(key)]) == .string(value))
            #expect(try await client.execute([Array("GET".utf8), key]) == .string(value))
            #expect(try await client.execute([.string("STRLEN"), .bytes(key)]) == .integer(Int64(value.count)))
            _ = try await client.execute([.string("SET"), "empty", .bytes([])])
            #expect(try await client.execute(["GET", "empty"]) == .string([]))
            await client.shutdown()
        }
    }

    @Test("a pipeline answers in order in one round trip; an error reply stays an element")
    func pipeline() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            let replies = try await client.pipeline([
                ["SET", "n", "41"],
                ["INCR", "n"],
                ["GET", "n"],
                ["LPUSH", "n", "x"],
                ["MGET", "n", "missing"],
            ])
            #expect(replies.count == 5)
            #expect(replies[0] == .status("OK"))
            #expect(replies[1] == .integer(42))
            #expect(replies[2] == .string(Array("42".utf8)))
            guard case .error(let message) = replies[3] else {
                Issue.record("expected an error reply, got \(replies[3])")
                return
            }
            #expect(message.hasPrefix("WRONGTYPE"))
            #expect(replies[4] == .array([.string(Array("42".utf8)), .null]))
            let statistics = client.statistics
            #expect(statistics.commands == 5 && statistics.roundTrips == 1)
            await client.shutdown()
        }
    }

    @Test("an error reply throws .server and leaves the client healthy")
    func serverErrorIsNotAFailure() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            _ = try await client.execute(["SET", "text", "abc"])
            await #expect(throws: RedisError.self) { _ = try await client.execute(["INCR", "text"]) }
            let error = await redisError { () async throws(RedisError) in try await client.execute(["INCR", "text"]) }
            guard case .server(let message)? = error else {
                Issue.record("expected .server, got \(String(describing: error))")
                return
            }
            #expect(message.contains("not an integer"))
            #expect(client.health.isOK)
            #expect(client.breaker.state == .closed)
            #expect(client.statistics.serverErrors == 2 && client.statistics.errors == 0)
            await client.shutdown()
        }
    }

    @Test("AUTH with the URL's password; a wrong or missing password is refused")
    func authentication() async throws {
        try await withRedisServer(password: "pa ss@word") { server async throws in
            let client = makeClient(server)
            #expect(try await client.execute(["PING"]) == .status("PONG"))
            await client.shutdown()

            var wrong = server.url
            wrong.password = "nope"
            let refused = RedisClient(url: wrong)
            let error = await redisError { () async throws(RedisError) in try await refused.execute(["PING"]) }
            guard case .connectFailed(let why)? = error else {
                Issue.record("expected connectFailed, got \(String(describing: error))")
                return
            }
            #expect(why.contains("login refused"), "\(why)")
            await refused.shutdown()

            var none = server.url
            none.password = nil
            let anonymous = RedisClient(url: none)
            await #expect(throws: RedisError.self) { _ = try await anonymous.execute(["GET", "x"]) }
            await anonymous.shutdown()
        }
    }

    @Test("AUTH user password (ACL form) works with the default user")
    func authWithUser() async throws {
        try await withRedisServer(password: "secret") { server async throws in
            var url = server.url
            url.user = "default"
            let client = RedisClient(url: url)
            #expect(try await client.execute(["PING"]) == .status("PONG"))
            await client.shutdown()
        }
    }

    @Test("SELECT db from the URL isolates databases")
    func selectDatabase() async throws {
        try await withRedisServer { server async throws in
            let db2 = makeClient(server, database: 2)
            let db0 = makeClient(server, database: 0)
            _ = try await db2.execute(["SET", "where", "two"])
            #expect(try await db0.execute(["GET", "where"]) == .null)
            #expect(try await db2.execute(["GET", "where"]) == .string(Array("two".utf8)))
            #expect(try await db2.execute(["DBSIZE"]) == .integer(1))
            #expect(try await db0.execute(["DBSIZE"]) == .integer(0))
            await db2.shutdown()
            await db0.shutdown()
        }
    }

    @Test("many concurrent callers each get their own reply (pool of 4, no crossed replies)")
    func concurrentCallersGetTheirOwnReplies() async throws {
        try await withRedisServer { server async throws in
            // About crossed replies, not timeouts: a loaded CI machine must not time calls out.
            let client = makeClient(server, commandTimeout: .seconds(5))
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<400 {
                    group.addTask {
                        let key = "k\(index)"
                        _ = try await client.execute(["SET", key, "v\(index)"])
                        return try await client.execute(["GET", key]) == .string(Array("v\(index)".utf8))
                    }
                }
                var matched = 0
                for try await ok in group where ok { matched += 1 }
                #expect(matched == 400)
            }
            let statistics = client.statistics
            #expect(statistics.connectionsOpened <= 4, "\(statistics)")
            #expect(statistics.commands == 800)
            await client.shutdown()
        }
    }

    @Test("a call that waits longer than the command timeout for a connection times out without tripping the breaker")
    func queueWaitIsBounded() async throws {
        try await withRedisServer { server async throws in
            let client = RedisClient(configuration: RedisClientConfiguration(url: server.url, poolSize: 1, commandTimeout: .milliseconds(400)))
            _ = try await client.execute(["PING"])
            let start = ContinuousClock.now
            // Each BLPOP holds the only connection for 100 ms; later callers wait in line.
            let outcomes = await withTaskGroup(of: RedisError?.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        await redisError { () async throws(RedisError) in try await client.execute(["BLPOP", "nothing", "0.1"]) }
                    }
                }
                var outcomes: [RedisError?] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            let elapsed = ContinuousClock.now - start
            let succeeded = outcomes.filter { $0 == nil }.count
            #expect(succeeded >= 1 && succeeded < 10, "\(outcomes)")
            #expect(outcomes.allSatisfy { $0 == nil || $0 == .timeout })
            #expect(client.statistics.queueTimeouts == 10 - succeeded)
            #expect(client.breaker.state == .closed)
            #expect(client.health.isOK)
            // The queue timeouts above prove the wait is bounded; wall time is only reported,
            // because a loaded machine stretches it.
            print("queue wait: 10 callers on one connection finished after \(elapsed)")
            await client.shutdown()
        }
    }

    @Test("after shutdown every call fails with poolClosed")
    func shutdownRefusesCalls() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            _ = try await client.execute(["PING"])
            await client.shutdown()
            await client.shutdown()
            await #expect(throws: RedisError.poolClosed) { _ = try await client.execute(["PING"]) }
        }
    }

    @Test("a blocking RedisConnection marks itself broken after a timeout and is never reused")
    func connectionBreaksAfterTimeout() async throws {
        try await withRedisServer { server async throws in
            let connection = try RedisConnection(url: server.url, connectTimeout: .milliseconds(250), commandTimeout: .milliseconds(100))
            defer { connection.close() }
            // BLPOP blocks server-side for 1 s: longer than our 100 ms command timeout.
            #expect(throws: RedisError.timeout) { _ = try connection.execute(["BLPOP", "nothing", "1"]) }
            #expect(connection.isBroken)
            #expect(throws: RedisError.self) { _ = try connection.execute(["PING"]) }
        }
    }
}
