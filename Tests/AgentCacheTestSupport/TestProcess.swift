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
}
