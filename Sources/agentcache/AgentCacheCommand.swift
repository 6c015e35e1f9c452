import AgentCacheCore
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// `agentcache`: the cache server's command line.
@main
struct AgentCacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agentcache",
        abstract: "A multi-tier cache server for LLM answers and objects.",
        subcommands: [ServeCommand.self, ProvisionCommand.self, SimulateCommand.self]
    )

    /// Parses and runs, printing a bad flag as one line on stderr (help still prints in full).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CacheError {
            // A startup failure (the data directory locked, a damaged key file): not a flag error.
            let line = Array("agentcache: \(error.message)\n".utf8)
            _ = line.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
            Glibc.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            let message = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            let line = Array("agentcache: \(message) (see 'agentcache --help')\n".utf8)
            _ = line.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
            Glibc.exit(code.rawValue)
        }
    }
}
