import Foundation
import NIOConcurrencyHelpers
import NIOPosix

/// Starting the real servers tests talk to (redis-server, moto), in one place.
public enum TestProcess {
    /// Foundation's `Process.run` on Linux is not safe to call from two threads at once (a CI
    /// run crashed in its memcpy while another test spawned a server): launches take turns.
    private static let launching = NIOLock()

    /// Launches `executable` with `arguments`, output discarded (`SpawnedProcess`, not
    /// Foundation's `Process`), on NIO's blocking pool, taking turns with the other launches.
    public static func spawn(_ executable: String, _ arguments: [String]) async throws -> SpawnedProcess {
        try await NIOThreadPool.singleton.runIfActive { try launching.withLock { try SpawnedProcess(executable, arguments) } }
    }

    /// Runs `executable` with `arguments` and only `environment` (nothing inherited) to its
    /// end: its exit status and standard error, standard output discarded. A process still
    /// running after `killAfter` is killed (SIGTERM), so a command that should have failed
    /// cannot hang the suite. Blocking steps run on NIO's blocking pool.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        killAfter: Duration = .seconds(60)
    ) async throws -> (status: Int32, standardError: String) {
        try await NIOThreadPool.singleton.runIfActive {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            let errors = Pipe()
            process.standardError = errors
            try launching.withLock { try process.run() }
            let box = ProcessBox(process)
            let seconds = Double(killAfter.components.seconds)
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { if box.process.isRunning { box.process.terminate() } }
            let bytes = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Runs `body` with `server` and always calls `stop` on it afterwards, thrown or not.
    public static func using<Server, T>(
        _ server: Server,
        stop: (Server) async -> Void,
        _ body: (Server) async throws -> T
    ) async throws -> T {
        do {
            let result = try await body(server)
            await stop(server)
            return result
        } catch {
            await stop(server)
            throw error
        }
    }
}
