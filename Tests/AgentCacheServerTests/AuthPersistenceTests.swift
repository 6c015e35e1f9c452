import AgentCacheAuth
import AgentCacheCore
import AgentCacheRedis
import AgentCacheServer
import AgentCacheTestSupport
import Foundation
import HTTPTypes
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Keys, usage and namespaces survive a server restart: in `keys.json` without Redis, in
/// Redis with it.
@Suite("API keys: persistence across restarts", .serialized)
struct AuthPersistenceTests {
    /// Provisions a key on one server, uses it three times in one namespace, stops the server;
    /// then checks a second server sees the key, its usage and its namespace.
    static func survivesRestart(dataDirectory: String, configure: @escaping @Sendable (inout ServerConfiguration) -> Void) async throws {
        let clock = ManualClock(millis: testEpochMillis)
        let key = try await withAuthServer(clock: clock, dataDirectory: dataDirectory, configure: configure) { api in
            let key = try await api.provisionKey(tier: "free")
            for _ in 0..<3 {
                #expect(try await api.get(Body.chat(#""namespace":"kept""#), headers: keyHeaders(key)).status == .ok)
            }
            return key
        }
        try await withAuthServer(clock: clock, dataDirectory: dataDirectory, configure: configure) { api in
            let info = try await api.keyInfo(key)
            #expect(info["status"] as? String == "active")
            let usage = try #require(info["usage"] as? [String: Any])
            #expect(usage["requests"] as? Int == 3)
            #expect(usage["namespaces"] as? [String] == ["kept"])
            #expect(try await api.get(Body.chat(#""namespace":"kept""#), headers: keyHeaders(key)).status == .ok)
            // The namespace limit remembers the first namespace too.
            try expectError(try await api.get(Body.chat(#""namespace":"other""#), headers: keyHeaders(key)), .forbidden, "INSUFFICIENT_PERMISSIONS")
        }
    }

    @Test("without Redis, keys, usage and namespaces survive a restart through keys.json")
    func fileStoreSurvivesRestart() async throws {
        let directory = temporaryDataDirectory()
        try await Self.survivesRestart(dataDirectory: directory) { _ in }
        let file = try String(contentsOfFile: directory + "/keys.json", encoding: .utf8)
        #expect(!file.contains("ac_acme_"), "the key itself must never be stored")
    }

    @Test("with Redis, keys, usage and namespaces survive a restart of the server")
    func redisStoreSurvivesRestart() async throws {
        try await withRedisServer { redis in
            let url = redis.url
            try await Self.survivesRestart(dataDirectory: temporaryDataDirectory()) { configuration in
                configuration.redis = RedisClientConfiguration(url: url)
            }
        }
    }

    @Test("with Redis down, a key this node has never seen gets 503 SERVICE_UNAVAILABLE with Retry-After, and a known key keeps working")
    func keyStoreDownIsRetryable() async throws {
        try await withRedisServer { redis in
            let url = redis.url
            try await withAuthServer(configure: { configuration in
                configuration.redis = RedisClientConfiguration(url: url, connectTimeout: .milliseconds(100), commandTimeout: .milliseconds(100))
            }) { api in
                let known = try await api.provisionKey()
                #expect(try await api.get(Body.chat(), headers: keyHeaders(known)).status == .ok)
                await redis.kill9()
                let unseen = APIKey.generate(integration: "acme").text
                let refused = try await api.get(Body.chat(), headers: keyHeaders(unseen))
                try expectError(refused, .serviceUnavailable, "SERVICE_UNAVAILABLE")
                #expect(refused.headers[.retryAfter] == "1")
                #expect(try await api.get(Body.chat(), headers: keyHeaders(known)).status == .ok)
            }
        }
    }

    @Test("a second server on the same --data-dir does not start: it names the directory and the holder; keys of the first survive its restart")
    func dataDirectoryLocked() async throws {
        let directory = temporaryDataDirectory()
        let clock = ManualClock(millis: testEpochMillis)
        let key = try await withAuthServer(clock: clock, dataDirectory: directory) { api in
            let key = try await api.provisionKey()
            var configuration = ServerConfiguration()
            configuration.adminToken = testAdminToken
            configuration.dataDirectory = directory
            do {
                _ = try AgentCacheServer.buildApplication(configuration: configuration)
                Issue.record("a second server started on a locked data directory")
            } catch let error as CacheError {
                #expect(error.message == "data directory \(directory) is in use by another agentcache process (pid \(getpid()), see \(directory)/agentcache.lock); stop it or give this one another --data-dir")
            }
            return key
        }
        // A killed writer's temp file is removed at start.
        try Data("{partial".utf8).write(to: URL(fileURLWithPath: directory + "/keys.json.tmp"))
        try await withAuthServer(clock: clock, dataDirectory: directory) { api async throws in
            let reply = try await api.get(Body.chat(), headers: keyHeaders(key))
            #expect(reply.status == .ok)
            #expect(!FileManager.default.fileExists(atPath: directory + "/keys.json.tmp"))
        }
    }

    @Test("a damaged keys.json stops the server from starting with a one-line reason")
    func damagedFileRefused() async throws {
        let directory = temporaryDataDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: directory + "/keys.json"))
        #expect(throws: CacheError.self) {
            var configuration = ServerConfiguration()
            configuration.adminToken = testAdminToken
            configuration.dataDirectory = directory
            _ = try AgentCacheServer.buildApplication(configuration: configuration)
        }
    }
}
