import AgentCacheTestSupport
import Foundation
import Testing

/// The built `agentcache` executable, run as an operator would: exit status and the one line
/// on stderr. `swift build --build-tests` (or `swift test`) builds it next to the tests.
@Suite struct CommandLineTests {
    /// The executable built with these tests: beside the test bundle, else `.build/debug`.
    static let executable: String = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("agentcache").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/agentcache").path
    }()

    /// Runs `agentcache serve` with `arguments` on port 0 and a fresh data directory, no
    /// `AGENTCACHE_*` variables: its status and stderr lines.
    static func serve(_ arguments: [String], dataDirectory: URL? = nil) async throws -> (status: Int32, lines: [Substring]) {
        #expect(FileManager.default.isExecutableFile(atPath: executable), "build it first: swift build --build-tests")
        let directory = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("agentcache-cli-\(UUID().uuidString)")
        defer { if dataDirectory == nil { try? FileManager.default.removeItem(at: directory) } }
        let (status, errors) = try await TestProcess.run(
            executable,
            ["serve", "--port", "0", "--data-dir", directory.path] + arguments,
            environment: ["PATH": "/usr/bin:/bin"],
            killAfter: .seconds(30)
        )
        return (status, errors.split(separator: "\n"))
    }

    @Test("serve --host 127.evil.example without --admin-token: refused as a flag error, exit 64")
    func openModeOnANameStartingWith127IsRefused() async throws {
        let (status, lines) = try await Self.serve(["--host", "127.evil.example"])
        #expect(status == 64)
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.last?.hasPrefix("agentcache: refusing to serve 127.evil.example without API keys") == true, "\(lines)")
        #expect(lines.last?.hasSuffix("(see 'agentcache --help')") == true, "\(lines)")
    }

    @Test("serve --admin-token of spaces: refused at start")
    func anAdminTokenOfSpacesIsRefused() async throws {
        let (status, lines) = try await Self.serve(["--admin-token", String(repeating: " ", count: 16)])
        #expect(status == 64)
        #expect(lines == ["agentcache: --admin-token is empty or only spaces (see 'agentcache --help')"])
    }

    @Test func aBadOriginAllowHostEntryIsAOneLineFlagError() async throws {
        let (status, lines) = try await Self.serve(["--origin-allow-host", "127.0.0.1:6379:1"])
        #expect(status == 64)
        #expect(lines == ["agentcache: --origin-allow-host: '127.0.0.1:6379:1' is not host[:port] (an IPv6 address in brackets, a port in 1...65535) (see 'agentcache --help')"])
    }

    @Test("--prices with a file that is missing or not a price table: a one-line flag error naming the file and the fault, exit 64")
    func aBadPriceFileIsAFlagError() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agentcache-prices-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing.json").path
        let (status, lines) = try await Self.serve(["--prices", missing])
        #expect(status == 64)
        #expect(lines == ["agentcache: --prices \(missing): cannot read the file (see 'agentcache --help')"])

        let bad = directory.appendingPathComponent("prices.json")
        try Data(#"{"as_of":"2026-01-01","models":{"gpt-4o":{"input":2.5}}}"#.utf8).write(to: bad)
        let (badStatus, badLines) = try await Self.serve(["--prices", bad.path])
        #expect(badStatus == 64)
        #expect(badLines == ["agentcache: --prices \(bad.path): models.gpt-4o needs both input and output (dollars per 1M tokens) (see 'agentcache --help')"])

        try Data("{not json".utf8).write(to: bad)
        let (envStatus, envLines) = try await TestProcess.run(
            Self.executable, ["serve", "--port", "0", "--data-dir", directory.appendingPathComponent("data").path],
            environment: ["PATH": "/usr/bin:/bin", "AGENTCACHE_PRICES": bad.path], killAfter: .seconds(30)
        )
        #expect(envStatus == 64)
        #expect(envLines.hasPrefix("agentcache: --prices \(bad.path): not valid JSON"), "\(envLines)")
    }

    @Test("a damaged key file is not a flag error: one line, exit 1, no pointer to --help")
    func aFailureThatIsNotAboutFlagsHasNoHelpHint() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agentcache-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("{not json".utf8).write(to: directory.appendingPathComponent("keys.json"))
        let (status, lines) = try await Self.serve(["--admin-token", "0123456789abcdef"], dataDirectory: directory)
        #expect(status == 1)
        let last = try #require(lines.last)
        #expect(last.hasPrefix("agentcache: ") && last.contains("keys.json is not a valid key file"), "\(lines)")
        #expect(!last.contains("agentcache --help"), "\(lines)")
    }
}
