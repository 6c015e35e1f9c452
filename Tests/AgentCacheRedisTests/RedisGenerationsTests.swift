import AgentCacheTestSupport
import AgentCacheCore
import AgentCacheRedis
import Synchronization
import Testing

/// Collects what a subscriber hands over, for assertions from the test task.
final class SubscriberProbe: Sendable {
    let messages = Mutex<[(String, UInt64)]>([])
    let resubscriptions = Mutex(0)

    func received(_ name: String, _ generation: UInt64) -> Bool {
        messages.withLock { $0.contains { $0.0 == name && $0.1 == generation } }
    }

    var resubscribed: Int { resubscriptions.withLock { $0 } }
}

/// Runs `subscriber` in a task for the duration of `body`, then stops it and waits for it.
func withRunningSubscriber<T>(_ subscriber: RedisSubscriber, _ body: () async throws -> T) async throws -> T {
    let task = Task { try await subscriber.run() }
    defer { task.cancel() }
    let result = try await body()
    task.cancel()
    try await task.value
    return result
}

@Suite("Namespace generations and invalidation broadcast through Redis")
struct RedisGenerationsTests {
    let namespace = CacheNamespace(tenant: "acme", name: "docs")
    static let key = "ac:gen:acme/docs"

    /// The epoch Redis holds for `acme/docs`, or nil when the key is missing.
    static func shared(_ client: RedisClient) async throws -> UInt64? {
        try await client.execute(["GET", .string(key)]).integer.map { UInt64($0) }
    }

    /// Whether `generation` is a possible epoch: never 0, and exact in every JSON reader.
    static func isEpoch(_ generation: UInt64?) -> Bool {
        guard let generation else { return false }
        return generation >= 1 && generation <= RedisGenerations.maxEpoch
    }

    @Test("two nodes share one epoch: an advance on one is what load reads and refresh settles on the other")
    func sharedEpoch() async throws {
        try await withRedisServer { server async throws in
            let clientA = makeClient(server)
            let clientB = makeClient(server)
            let nodeA = RedisGenerations(client: clientA, table: NamespaceGenerations())
            let nodeB = RedisGenerations(client: clientB, table: NamespaceGenerations())

            let first = try await nodeA.advance(namespace)
            #expect(Self.isEpoch(first))
            #expect(nodeA.table.current(namespace) == first)
            #expect(try await Self.shared(clientA) == first)
            #expect(await nodeB.load(namespace) == first)
            #expect(nodeB.table.current(namespace) == first)
            let second = try await nodeB.advance(namespace)
            #expect(Self.isEpoch(second) && second != first, "a new random epoch, not old + 1")
            #expect(try await Self.shared(clientA) == second)
            // A holds `first` and was not listening: it cannot tell a missed invalidation from a
            // rolled-back one, so its refresh sets yet another epoch, and both agree on it.
            #expect(await nodeA.refresh())
            let settled = try await Self.shared(clientA)
            #expect(nodeA.table.current(namespace) == settled)
            #expect(settled != first)
            // B did not hear that either (no subscriber here), so it too sets a new one.
            #expect(await nodeB.refresh())
            #expect(try await nodeB.table.current(namespace) == Self.shared(clientB))
            #expect(nodeB.table.current(namespace) != second)
            await clientA.shutdown()
            await clientB.shutdown()
        }
    }

    @Test("generation(of:) reads Redis the first time a namespace is seen, then answers locally; a missing key is created, never 0")
    func firstSightLoads() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            _ = try await client.execute(["SET", .string(Self.key), "5"])
            let node = RedisGenerations(client: client, table: NamespaceGenerations())
            #expect(try await node.generation(of: namespace).get() == 5)
            _ = try await client.execute(["SET", .string(Self.key), "9"])
            let before = client.statistics.roundTrips
            #expect(try await node.generation(of: namespace).get() == 5)
            #expect(client.statistics.roundTrips == before)

            let fresh = CacheNamespace(tenant: "acme", name: "fresh")
            let created = try await node.generation(of: fresh).get()
            #expect(Self.isEpoch(created))
            #expect(try await client.execute(["GET", "ac:gen:acme/fresh"]).integer.map { UInt64($0) } == created)
            await client.shutdown()
        }
    }

    @Test("nodes meeting a missing generation at once agree on the one epoch SET NX created")
    func concurrentFirstSightsAgree() async throws {
        try await withRedisServer { server async throws in
            let clientA = makeClient(server)
            let clientB = makeClient(server)
            let nodes = (0..<8).map { RedisGenerations(client: $0 % 2 == 0 ? clientA : clientB, table: NamespaceGenerations()) }
            let namespace = self.namespace
            let seen = await withTaskGroup(of: UInt64.self) { group in
                for node in nodes { group.addTask { (try? await node.generation(of: namespace).get()) ?? 0 } }
                return await group.reduce(into: Set<UInt64>()) { $0.insert($1) }
            }
            #expect(seen.count == 1)
            #expect(try await seen.first == Self.shared(clientA))
            await clientA.shutdown()
            await clientB.shutdown()
        }
    }

    @Test("an invalidation on one node reaches another node's subscriber (its latency is printed, not asserted)")
    func broadcastReachesSubscriber() async throws {
        try await withRedisServer { server async throws in
            let clientA = makeClient(server)
            let clientB = makeClient(server)
            let nodeA = RedisGenerations(client: clientA, table: NamespaceGenerations())
            let nodeB = RedisGenerations(client: clientB, table: NamespaceGenerations())
            let subscriber = nodeB.makeSubscriber(configuration: RedisSubscriber.Configuration(url: server.url))
            try await withRunningSubscriber(subscriber) { () async throws in
                #expect(await eventually(within: .seconds(10)) { subscriber.isSubscribed })
                var worst = Duration.zero
                for round in 1...5 {
                    let start = ContinuousClock.now
                    let generation = try await nodeA.advance(namespace)
                    let arrived = await eventually(within: .seconds(10)) {
                        nodeB.table.current(namespace) == generation
                    }
                    worst = max(worst, ContinuousClock.now - start)
                    #expect(arrived, "round \(round): node B is at \(nodeB.table.current(namespace)), not \(generation)")
                }
                print("invalidation broadcast: worst of 5 advance→remote table = \(worst)")
                #expect(subscriber.messagesReceived == 5)
            }
            await clientA.shutdown()
            await clientB.shutdown()
        }
    }

    @Test("the subscriber hands over well-formed messages and ignores malformed ones")
    func subscriberParsesMessages() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            let probe = SubscriberProbe()
            let subscriber = RedisSubscriber(
                configuration: RedisSubscriber.Configuration(url: server.url),
                onMessage: { name, generation in probe.messages.withLock { $0.append((name, generation)) } },
                onResubscribed: { probe.resubscriptions.withLock { $0 += 1 } }
            )
            try await withRunningSubscriber(subscriber) { () async throws in
                #expect(await eventually(within: .seconds(10)) { subscriber.isSubscribed })
                #expect(probe.resubscribed == 1)
                _ = try await client.execute(["PUBLISH", "ac:invalidate", "garbage"])
                _ = try await client.execute(["PUBLISH", "ac:invalidate", "t/ns notanumber"])
                _ = try await client.execute(["PUBLISH", "ac:invalidate", "ten ant/n s 12"])
                #expect(await eventually(within: .seconds(10)) { probe.received("ten ant/n s", 12) })
                #expect(probe.messages.withLock { $0.count } == 1)
            }
            await client.shutdown()
        }
    }

    @Test("the subscriber survives a Redis restart, resubscribes and calls onResubscribed")
    func subscriberReconnects() async throws {
        try await withRedisServer { server async throws in
            let probe = SubscriberProbe()
            let subscriber = RedisSubscriber(
                configuration: RedisSubscriber.Configuration(url: server.url),
                onMessage: { name, generation in probe.messages.withLock { $0.append((name, generation)) } },
                onResubscribed: { probe.resubscriptions.withLock { $0 += 1 } }
            )
            let task = Task { try await subscriber.run() }
            #expect(await eventually(within: .seconds(10)) { subscriber.isSubscribed })
            try await server.restart()
            let resubscribed = await eventually(within: .seconds(5)) { probe.resubscribed >= 2 }
            #expect(resubscribed, "onResubscribed ran \(probe.resubscribed) times")
            #expect(subscriber.subscriptionCount >= 2)
            let client = makeClient(server)
            _ = try await client.execute(["PUBLISH", "ac:invalidate", "acme/docs 3"])
            let received = await eventually(within: .seconds(10)) { probe.received("acme/docs", 3) }
            #expect(received)
            await client.shutdown()
            task.cancel()
            try await task.value
        }
    }

    @Test("a node that missed an invalidation while disconnected catches up through refresh on resubscribe")
    func missedInvalidationIsRecovered() async throws {
        try await withRedisServer { server async throws in
            let clientA = makeClient(server)
            let clientB = makeClient(server)
            let nodeA = RedisGenerations(client: clientA, table: NamespaceGenerations())
            let nodeB = RedisGenerations(client: clientB, table: NamespaceGenerations())
            let first = try await nodeA.advance(namespace)
            #expect(await nodeB.load(namespace) == first)
            // Node B is offline (no subscriber) while A invalidates twice.
            _ = try await nodeA.advance(namespace)
            _ = try await nodeA.advance(namespace)
            #expect(nodeB.table.current(namespace) == first)
            let subscriber = nodeB.makeSubscriber(configuration: RedisSubscriber.Configuration(url: server.url))
            try await withRunningSubscriber(subscriber) { () async throws in
                #expect(await eventually(within: .seconds(10)) {
                    let shared = try? await Self.shared(clientB)
                    return nodeB.table.current(namespace) != first && nodeB.table.current(namespace) == shared
                })
            }
            await clientA.shutdown()
            await clientB.shutdown()
        }
    }

    @Test("a DEL of the generation key: a node meeting the namespace creates a new epoch, and a node holding the old one adopts it")
    func deletedGenerationIsNeverZero() async throws {
        try await withRedisServer { server async throws in
            let clientA = makeClient(server)
            let clientC = makeClient(server)
            let nodeA = RedisGenerations(client: clientA, table: NamespaceGenerations())
            let invalidated = try await nodeA.advance(namespace)
            let subscriber = nodeA.makeSubscriber(configuration: RedisSubscriber.Configuration(url: server.url))
            try await withRunningSubscriber(subscriber) { () async throws in
                #expect(await eventually(within: .seconds(10)) { subscriber.isSubscribed })
                #expect(try await clientA.execute(["DEL", .string(Self.key)]).integer == 1)
                // A node started now (or restarted) finds no generation: never 0, never the old one.
                let nodeC = RedisGenerations(client: clientC, table: NamespaceGenerations())
                let created = try await nodeC.generation(of: namespace).get()
                #expect(Self.isEpoch(created) && created != invalidated)
                #expect(try await Self.shared(clientC) == created)
                // The creation was broadcast: node A leaves the epoch Redis lost.
                #expect(await eventually(within: .seconds(10)) { nodeA.table.current(namespace) == created })
            }
            await clientA.shutdown()
            await clientC.shutdown()
        }
    }

    @Test("after FLUSHALL or a rollback to an older epoch (a failover that lost the last write), refresh sets a new epoch, never an old one")
    func lostOrRolledBackGenerationIsReplaced() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            let node = RedisGenerations(client: client, table: NamespaceGenerations())
            var used: Set<UInt64> = [0]
            for _ in 0..<3 { used.insert(try await node.advance(namespace)) }
            _ = try await client.execute(["FLUSHALL"])
            #expect(await node.refresh())
            let afterFlush = try #require(try await Self.shared(client))
            #expect(!used.contains(afterFlush))
            #expect(node.table.current(namespace) == afterFlush)
            used.insert(afterFlush)

            let older = try await node.advance(namespace)
            used.insert(older)
            let latest = try await node.advance(namespace)
            used.insert(latest)
            // The promoted replica never saw the last invalidation.
            _ = try await client.execute(["SET", .string(Self.key), .string(String(older))])
            #expect(await node.refresh())
            let afterRollback = try #require(try await Self.shared(client))
            #expect(!used.contains(afterRollback), "neither the rolled-back epoch nor any other used one")
            #expect(node.table.current(namespace) == afterRollback)
            await client.shutdown()
        }
    }

    @Test("Redis restarted without persistence while two nodes run: both settle on one new epoch")
    func restartWithoutPersistence() async throws {
        try await withRedisServer { server async throws in
            let clientA = makeClient(server)
            let clientB = makeClient(server)
            let nodeA = RedisGenerations(client: clientA, table: NamespaceGenerations(), retryInterval: .milliseconds(100))
            let nodeB = RedisGenerations(client: clientB, table: NamespaceGenerations(), retryInterval: .milliseconds(100))
            let subscribers = [nodeA, nodeB].map { $0.makeSubscriber(configuration: RedisSubscriber.Configuration(url: server.url)) }
            let tasks = subscribers.map { subscriber in Task { try await subscriber.run() } }
            defer { tasks.forEach { $0.cancel() } }
            #expect(await eventually(within: .seconds(10)) { subscribers.allSatisfy(\.isSubscribed) })
            let invalidated = try await nodeA.advance(namespace)
            #expect(try await nodeB.generation(of: namespace).get() == invalidated)

            try await server.restart()
            let settled = await eventually(within: .seconds(10)) {
                guard let shared = try? await Self.shared(clientA) else { return false }
                return nodeA.table.current(namespace) == shared && nodeB.table.current(namespace) == shared
            }
            #expect(settled, "A at \(nodeA.table.current(namespace)), B at \(nodeB.table.current(namespace))")
            #expect(nodeA.table.current(namespace) != invalidated)
            #expect(Self.isEpoch(nodeA.table.current(namespace)))
            for task in tasks {
                task.cancel()
                try await task.value
            }
            await clientA.shutdown()
            await clientB.shutdown()
        }
    }

    @Test("with Redis down, advance invalidates locally but is refused (503), and a new shared epoch reaches Redis and other nodes once it is back")
    func advanceWhileRedisIsDown() async throws {
        try await withRedisServer { server async throws in
            let clientA = makeClient(server)
            let clientB = makeClient(server)
            let nodeA = RedisGenerations(client: clientA, retryInterval: .milliseconds(100))
            let nodeB = RedisGenerations(client: clientB)
            let first = try await nodeA.advance(namespace)
            #expect(try await nodeB.generation(of: namespace).get() == first)

            await server.kill9()
            #expect(await nodeA.advanceShared(namespace) == nil)
            #expect(await nodeA.load(namespace) == nil)
            #expect(!(await nodeA.refresh(namespaces: ["acme/docs"])))
            #expect(nodeA.table.current(namespace) == first, "a failed shared advance changes nothing")
            // Not acknowledged (other nodes cannot be told), but invalidated here at once.
            await #expect(throws: CacheError.self) { try await nodeA.advance(namespace) }
            let local = nodeA.table.current(namespace)
            #expect(Self.isEpoch(local) && local != first, "invalidated locally at once")
            #expect(nodeA.pendingNamespaces == ["acme/docs"])

            try await server.launch()  // same port, empty data
            let subscriber = nodeB.makeSubscriber(configuration: RedisSubscriber.Configuration(url: server.url))
            try await withRunningSubscriber(subscriber) { () async throws in
                #expect(await eventually(within: .seconds(5)) { nodeA.pendingNamespaces.isEmpty })
                let pushed = try #require(try await Self.shared(clientB))
                #expect(pushed != first && pushed != local, "a new epoch, set after the local invalidation")
                #expect(nodeA.table.current(namespace) == pushed)
                #expect(await eventually(within: .seconds(10)) { nodeB.table.current(namespace) == pushed })
                let next = try await nodeB.advance(namespace)
                #expect(await eventually(within: .seconds(10)) {
                    guard await nodeA.refresh(), let shared = try? await Self.shared(clientA) else { return false }
                    return nodeA.table.current(namespace) != pushed && nodeA.table.current(namespace) == shared
                })
                #expect(next != pushed)
            }
            await clientA.shutdown()
            await clientB.shutdown()
        }
    }

    @Test("a namespace met while Redis hangs gets a provisional epoch (not 0), replaced by Redis's once it answers")
    func firstSightWhileRedisHangs() async throws {
        try await withRedisServer { server async throws in
            let clientA = makeClient(server)
            let clientC = makeClient(server)
            let nodeA = RedisGenerations(client: clientA)
            let shared = try await nodeA.advance(namespace)
            let nodeC = RedisGenerations(client: clientC, retryInterval: .milliseconds(100))

            await server.freeze()
            let provisional = try await nodeC.generation(of: namespace).get()
            #expect(Self.isEpoch(provisional))
            #expect(nodeC.pendingNamespaces == ["acme/docs"])
            #expect(nodeC.generation(of: namespace).atHand == provisional, "answered from memory meanwhile")
            server.thaw()
            #expect(await eventually(within: .seconds(5)) { nodeC.pendingNamespaces.isEmpty })
            #expect(nodeC.table.current(namespace) == shared)
            await clientA.shutdown()
            await clientC.shutdown()
        }
    }

    @Test("with scripting refused (ACL -@scripting), plain commands keep the rules: created when missing, never 0")
    func withoutScripts() async throws {
        try await withRedisServer { server async throws in
            let admin = makeClient(server)
            let client = makeClient(server)
            _ = try await admin.execute(["ACL", "SETUSER", "default", "-@scripting"])
            let nodeA = RedisGenerations(client: client, table: NamespaceGenerations())
            let nodeB = RedisGenerations(client: client, table: NamespaceGenerations())
            let created = try await nodeA.generation(of: namespace).get()
            #expect(Self.isEpoch(created))
            #expect(try await nodeB.generation(of: namespace).get() == created)
            let advanced = try await nodeA.advance(namespace)
            #expect(Self.isEpoch(advanced) && advanced != created)
            #expect(try await Self.shared(admin) == advanced)
            _ = try await admin.execute(["DEL", .string(Self.key)])
            #expect(await nodeB.refresh())
            let recreated = try #require(try await Self.shared(admin))
            #expect(![0, created, advanced].contains(recreated))
            #expect(nodeB.table.current(namespace) == recreated)
            await admin.shutdown()
            await client.shutdown()
        }
    }

    @Test("run() re-reads periodically: a generation key lost without any broadcast is re-created with a new epoch")
    func periodicRefresh() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            let node = RedisGenerations(client: client, table: NamespaceGenerations(), refreshInterval: .milliseconds(50))
            let invalidated = try await node.advance(namespace)
            let task = Task { try await node.run() }
            _ = try await client.execute(["DEL", .string(Self.key)])
            #expect(await eventually(within: .seconds(5)) {
                guard let shared = try? await Self.shared(client) else { return false }
                return shared != invalidated && node.table.current(namespace) == shared
            })
            task.cancel()
            try await task.value
            await client.shutdown()
        }
    }

    @Test("a running subscriber stops promptly on cancellation (about one 100 ms poll slice when idle)")
    func subscriberStopsPromptly() async throws {
        try await withRedisServer { server async throws in
            let subscriber = RedisSubscriber(configuration: RedisSubscriber.Configuration(url: server.url), onMessage: { _, _ in })
            let task = Task { try await subscriber.run() }
            #expect(await eventually(within: .seconds(10)) { subscriber.isSubscribed })
            let start = ContinuousClock.now
            task.cancel()
            try await task.value
            let elapsed = ContinuousClock.now - start
            print("subscriber stop latency: \(elapsed)")
            // Idle it stops in about one 100 ms poll slice; the bound leaves room for a loaded CI box.
            #expect(elapsed < .seconds(3))
            #expect(!subscriber.isSubscribed)
        }
    }

    @Test("with a replica, an invalidation and a deletion count once a replica holds them (WAIT); with the replica hung they are refused, so a failover cannot lose an acknowledged one")
    func replicatedInvalidation() async throws {
        try await withRedisServer { primary async throws in
            // Sync the replica at once (Redis waits 5 s for more replicas by default).
            let setup = makeClient(primary)
            _ = try await setup.execute(["CONFIG", "SET", "repl-diskless-sync-delay", "0"])
            await setup.shutdown()
            let replica = try await RedisServerProcess.start(replicaOf: primary.port)
            // WAIT gets half the command timeout: room for a replica on a loaded machine.
            let client = RedisClient(configuration: RedisClientConfiguration(url: primary.url, commandTimeout: .seconds(2)))
            let replicaClient = makeClient(replica)
            try #require(await eventually(within: .seconds(30)) {
                let info = (try? await client.execute(["INFO", "replication"]))?.text ?? ""
                return info.contains("connected_slaves:1") && info.contains("state=online")
            })
            let node = RedisGenerations(client: client)
            let epoch = try await node.advance(namespace)
            // The replica holds it by the time the invalidation is acknowledged.
            #expect(try await replicaClient.execute(["GET", .string(RedisKeys.generation(ofQualified: namespace.qualified))]).integer == Int64(epoch))
            let tier = RedisTier(client: client)
            try await tier.remove(CacheKey(high: 1, low: 2), namespace: namespace, generation: epoch)

            // A replica that does not confirm: not acknowledged (503), though the primary has it.
            await replica.freeze()
            await #expect(throws: CacheError.self) { try await node.advance(namespace) }
            await #expect(throws: CacheError.self) { try await tier.remove(CacheKey(high: 1, low: 3), namespace: namespace, generation: epoch) }
            replica.thaw()
            await client.shutdown()
            await replicaClient.shutdown()
            await replica.stop()
        }
    }
}
