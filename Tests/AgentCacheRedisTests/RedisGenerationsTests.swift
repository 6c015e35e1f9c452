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

    @Test("two nodes share one counter: advance on one is what load and refresh see on the other")
    func sharedCounter() async throws {
        try await withRedisServer { server async throws in
            let clientA = makeClient(server)
            let clientB = makeClient(server)
            let nodeA = RedisGenerations(client: clientA, table: NamespaceGenerations())
            let nodeB = RedisGenerations(client: clientB, table: NamespaceGenerations())

            #expect(await nodeA.advance(namespace) == 1)
            #expect(nodeA.table.current(namespace) == 1)
            #expect(await nodeB.load(namespace) == 1)
            #expect(nodeB.table.current(namespace) == 1)
            #expect(await nodeB.advance(namespace) == 2)
            #expect(try await clientA.execute(["GET", "ac:gen:acme/docs"]).integer == 2)
            #expect(await nodeA.refresh())
            #expect(nodeA.table.current(namespace) == 2)
            await clientA.shutdown()
            await clientB.shutdown()
        }
    }

    @Test("generation(of:) reads Redis the first time a namespace is seen, then answers locally")
    func firstSightLoads() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            _ = try await client.execute(["SET", "ac:gen:acme/docs", "5"])
            let node = RedisGenerations(client: client, table: NamespaceGenerations())
            #expect(try await node.generation(of: namespace).get() == 5)
            _ = try await client.execute(["SET", "ac:gen:acme/docs", "9"])
            let before = client.statistics.roundTrips
            #expect(try await node.generation(of: namespace).get() == 5)
            #expect(client.statistics.roundTrips == before)
            #expect(try await node.generation(of: CacheNamespace(tenant: "acme", name: "fresh")).get() == 0)
            await client.shutdown()
        }
    }

    @Test("an invalidation on one node reaches another node's subscriber within 200 ms")
    func broadcastReachesSubscriber() async throws {
        try await withRedisServer { server async throws in
            let clientA = makeClient(server)
            let clientB = makeClient(server)
            let nodeA = RedisGenerations(client: clientA, table: NamespaceGenerations())
            let nodeB = RedisGenerations(client: clientB, table: NamespaceGenerations())
            let subscriber = nodeB.makeSubscriber(configuration: RedisSubscriber.Configuration(url: server.url))
            try await withRunningSubscriber(subscriber) { () async throws in
                #expect(await eventually(within: .seconds(3)) { subscriber.isSubscribed })
                var worst = Duration.zero
                for round in 1...5 {
                    let start = ContinuousClock.now
                    #expect(await nodeA.advance(namespace) == UInt64(round))
                    let arrived = await eventually(within: .milliseconds(200)) {
                        nodeB.table.current(namespace) == UInt64(round)
                    }
                    worst = max(worst, ContinuousClock.now - start)
                    #expect(arrived, "round \(round): node B is at \(nodeB.table.current(namespace))")
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
                #expect(await eventually(within: .seconds(3)) { subscriber.isSubscribed })
                #expect(probe.resubscribed == 1)
                _ = try await client.execute(["PUBLISH", "ac:invalidate", "garbage"])
                _ = try await client.execute(["PUBLISH", "ac:invalidate", "t/ns notanumber"])
                _ = try await client.execute(["PUBLISH", "ac:invalidate", "ten ant/n s 12"])
                #expect(await eventually(within: .seconds(1)) { probe.received("ten ant/n s", 12) })
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
            #expect(await eventually(within: .seconds(3)) { subscriber.isSubscribed })
            try await server.restart()
            let resubscribed = await eventually(within: .seconds(5)) { probe.resubscribed >= 2 }
            #expect(resubscribed, "onResubscribed ran \(probe.resubscribed) times")
            #expect(subscriber.subscriptionCount >= 2)
            let client = makeClient(server)
            _ = try await client.execute(["PUBLISH", "ac:invalidate", "acme/docs 3"])
            let received = await eventually(within: .seconds(1)) { probe.received("acme/docs", 3) }
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
            #expect(await nodeA.advance(namespace) == 1)
            #expect(await nodeB.load(namespace) == 1)
            // Node B is offline (no subscriber) while A invalidates twice.
            #expect(await nodeA.advance(namespace) == 2)
            #expect(await nodeA.advance(namespace) == 3)
            #expect(nodeB.table.current(namespace) == 1)
            let subscriber = nodeB.makeSubscriber(configuration: RedisSubscriber.Configuration(url: server.url))
            try await withRunningSubscriber(subscriber) { () async throws in
                #expect(await eventually(within: .seconds(3)) { nodeB.table.current(namespace) == 3 })
            }
            await clientA.shutdown()
            await clientB.shutdown()
        }
    }

    @Test("after Redis loses its data, advance never reuses a generation and refresh restores the counter")
    func generationNeverGoesBack() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            let node = RedisGenerations(client: client, table: NamespaceGenerations())
            for _ in 0..<4 { _ = await node.advance(namespace) }
            #expect(node.table.current(namespace) == 4)
            _ = try await client.execute(["FLUSHALL"])
            #expect(await node.advance(namespace) == 5)

            _ = try await client.execute(["FLUSHALL"])
            #expect(await node.refresh())
            #expect(try await client.execute(["GET", "ac:gen:acme/docs"]).integer == 5)
            #expect(node.table.current(namespace) == 5)
            await client.shutdown()
        }
    }

    @Test("with Redis down, advance invalidates locally and pushes to Redis and other nodes once it is back")
    func advanceWhileRedisIsDown() async throws {
        try await withRedisServer { server async throws in
            let clientA = makeClient(server)
            let clientB = makeClient(server)
            let nodeA = RedisGenerations(client: clientA, retryInterval: .milliseconds(100))
            let nodeB = RedisGenerations(client: clientB)
            #expect(await nodeA.advance(namespace) == 1)
            #expect(try await nodeB.generation(of: namespace).get() == 1)

            await server.kill9()
            #expect(await nodeA.advanceShared(namespace) == nil)
            #expect(await nodeA.load(namespace) == nil)
            #expect(!(await nodeA.refresh(namespaces: ["acme/docs"])))
            #expect(nodeA.table.current(namespace) == 1, "a failed shared advance changes nothing")
            #expect(await nodeA.advance(namespace) == 2, "fail-open: invalidated locally at once")
            #expect(nodeA.pendingNamespaces == ["acme/docs"])

            try await server.launch()  // same port, empty data
            let subscriber = nodeB.makeSubscriber(configuration: RedisSubscriber.Configuration(url: server.url))
            try await withRunningSubscriber(subscriber) { () async throws in
                let pushed = await eventually(within: .seconds(5)) { nodeA.pendingNamespaces.isEmpty }
                #expect(pushed)
                #expect(try await clientB.execute(["GET", "ac:gen:acme/docs"]).integer == 2)
                #expect(await eventually(within: .seconds(2)) { nodeB.table.current(namespace) == 2 })
                #expect(await nodeB.advance(namespace) == 3)
                #expect(await eventually(within: .seconds(2)) { await nodeA.refresh() && nodeA.table.current(namespace) == 3 })
            }
            await clientA.shutdown()
            await clientB.shutdown()
        }
    }

    @Test("a running subscriber stops promptly on cancellation (about one 100 ms poll slice when idle)")
    func subscriberStopsPromptly() async throws {
        try await withRedisServer { server async throws in
            let subscriber = RedisSubscriber(configuration: RedisSubscriber.Configuration(url: server.url), onMessage: { _, _ in })
            let task = Task { try await subscriber.run() }
            #expect(await eventually(within: .seconds(3)) { subscriber.isSubscribed })
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
}
