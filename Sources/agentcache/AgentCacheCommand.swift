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

    /// Parses and runs, printing an error as one line on stderr (help still prints in full).
    /// Only a flag error (ArgumentParser's parse and validation errors, exit 64) points to
    /// `--help`; any other failure (`CommandFailure`, a failed bind, ...) exits 1 without it.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            let message = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            let hint = code == .validationFailure ? " (see 'agentcache --help')" : ""
            let line = Array("agentcache: \(message)\(hint)\n".utf8)
            _ = line.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
            Glibc.exit(code.rawValue)
        }
    }
}
