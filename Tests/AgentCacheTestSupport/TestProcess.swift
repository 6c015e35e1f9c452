import Foundation
import NIOPosix

/// Starting the real servers tests talk to (redis-server, moto), in one place.
public enum TestProcess {
    /// Launches `executable` with `arguments`, output discarded. `Process.run` blocks, so it runs
    /// on NIO's blocking pool rather than the two-thread cooperative pool tests share.
    public static func spawn(_ executable: String, _ arguments: [String]) async throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let box = ProcessBox(process)
        try await NIOThreadPool.singleton.runIfActive { try box.process.run() }
        return process
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
