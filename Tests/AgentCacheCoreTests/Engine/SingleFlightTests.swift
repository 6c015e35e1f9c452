import AgentCacheCore
import Synchronization
import Testing

@Suite struct SingleFlightTests {
    struct Boom: Error {}

    /// A shared counter the concurrent tasks bump.
    final class Runs: Sendable {
        let count = Mutex(0)
    }

    @Test func concurrentCallsForOneKeyRunTheOperationOnce() async throws {
        let flights = SingleFlight<String, Int>()
        let runs = Runs()
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await flights.run("k") {
                        runs.count.withLock { $0 += 1 }
                        try await Task.sleep(for: .milliseconds(200))
                        return 42
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(runs.count.withLock { $0 } == 1)
        #expect(results.allSatisfy { $0.0 == 42 })
        #expect(results.filter { !$0.1 }.count == 1)
    }

    @Test func leaderFailureWakesEveryWaiterWithTheError() async throws {
        let flights = SingleFlight<String, Int>()
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    do {
                        _ = try await flights.run("k") {
                            try await Task.sleep(for: .milliseconds(100))
                            throw Boom()
                        }
                        return false
                    } catch {
                        return error is Boom
                    }
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == 10)
    }

    @Test func cancelledWaiterLeavesWithoutCancellingTheLeader() async throws {
        let flights = SingleFlight<String, Int>()
        let leader = Task { try await flights.run("k") { try await Task.sleep(for: .milliseconds(300)); return 7 } }
        try await Task.sleep(for: .milliseconds(50))
        let waiter = Task { try await flights.run("k") { 0 } }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(try await leader.value.value == 7)
    }

    @Test func cancelledLeaderWakesWaitersAndTheNextCallRunsAgain() async throws {
        let flights = SingleFlight<String, Int>()
        let leader = Task { try await flights.run("k") { try await Task.sleep(for: .seconds(10)); return 1 } }
        try await Task.sleep(for: .milliseconds(50))
        let waiter = Task { try await flights.run("k") { 2 } }
        try await Task.sleep(for: .milliseconds(50))
        leader.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(try await flights.run("k") { 3 }.value == 3)
    }
}
