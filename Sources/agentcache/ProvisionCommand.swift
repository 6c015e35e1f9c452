import AgentCacheCore
import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// `agentcache provision ...`: the admin routes from the command line. Talks HTTP to a
/// running server (`--server`, default http://127.0.0.1:8080) with the admin token from
/// `--admin-token` or AGENTCACHE_ADMIN_TOKEN, and prints the server's JSON answer.
struct ProvisionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provision",
        abstract: "Create, inspect, revoke and rotate API keys on a running server.",
        subcommands: [JettyThunder.self, Create.self, Info.self, Revoke.self, Rotate.self]
    )

    /// Where the server is and the admin token, shared by every subcommand.
    struct Connection: ParsableArguments {
        @Option(help: "Server base URL (env AGENTCACHE_SERVER, default http://127.0.0.1:8080).")
        var server: String?

        @Option(name: .customLong("admin-token"), help: "Admin token (env AGENTCACHE_ADMIN_TOKEN).")
        var adminToken: String?

        /// Sends `method path` with `body` and prints the answer; a non-2xx answer exits 1
        /// with the server's error on one line.
        func send(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws {
            let environment = EnvironmentOptions()
            guard let token = adminToken ?? environment["ADMIN_TOKEN"] else {
                throw ValidationError("--admin-token (or AGENTCACHE_ADMIN_TOKEN) is required")
            }
            var base = server ?? environment["SERVER"] ?? "http://127.0.0.1:8080"
            while base.hasSuffix("/") { base.removeLast() }
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Content-Type", value: "application/json")
            if let body { request.body = .bytes(ByteBuffer(string: body)) }
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let outcome: Result<(status: UInt, text: String), any Error>
            do {
                let response = try await client.execute(request, timeout: .seconds(30))
                let bytes = try await response.body.collect(upTo: 1 << 20)
                outcome = .success((response.status.code, String(buffer: bytes)))
            } catch {
                outcome = .failure(error)
            }
            try? await client.shutdown()
            switch outcome {
            case .failure(let error):
                throw CommandFailure("could not reach \(base): \(error)")
            case .success(let answer) where (200..<300).contains(answer.status):
                print(answer.text)
            case .success(let answer):
                throw CommandFailure("server answered \(answer.status): \(answer.text)")
            }
        }
    }

    /// `provision jettythunder [--environment production|staging|development]`.
    struct JettyThunder: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "jettythunder", abstract: "Provision JettyThunder's enterprise key.")
        @OptionGroup var connection: Connection
        @Option(help: "production, staging or development (default production).")
        var environment: String = "production"

        func run() async throws {
            try await connection.send(.POST, "/api/provision/jettythunder", body: Self.object(["environment": environment]))
        }
    }

    /// `provision create --integration X --project-id Y [--tier pro] ...`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Provision a key for any integration.")
        @OptionGroup var connection: Connection
        @Option(name: .customLong("user-id")) var userID: String = "admin"
        @Option var integration: String
        @Option(name: .customLong("project-id")) var projectID: String
        @Option(help: "free, pro or enterprise (default free).") var tier: String = "free"
        @Option var environment: String?
        @Option var sector: String?
        @Option(name: .customLong("use-case")) var useCase: String?
        @Option(help: "Scope to grant; repeat for several (default: all four).") var scope: [String] = []
        @Option(name: .customLong("expires-in-days")) var expiresInDays: Double?
        @Option(name: .customLong("allowed-ip"), help: "IP or CIDR allowed to use the key; repeat for several.") var allowedIP: [String] = []

        func run() async throws {
            var members: [JSONMember] = [
                .init(key: "user_id", value: .string(userID)),
                .init(key: "integration", value: .string(integration)),
                .init(key: "project_id", value: .string(projectID)),
                .init(key: "tier", value: .string(tier)),
            ]
            if let environment { members.append(.init(key: "environment", value: .string(environment))) }
            if let sector { members.append(.init(key: "sector", value: .string(sector))) }
            if let useCase { members.append(.init(key: "use_case", value: .string(useCase))) }
            if !scope.isEmpty { members.append(.init(key: "scopes", value: .array(scope.map { .string($0) }))) }
            if let expiresInDays { members.append(.init(key: "expires_in_days", value: .number(expiresInDays))) }
            if !allowedIP.isEmpty { members.append(.init(key: "allowed_ips", value: .array(allowedIP.map { .string($0) }))) }
            let body = String(decoding: CanonicalJSON.encode(.object(members)), as: UTF8.self)
            try await connection.send(.POST, "/api/provision", body: body)
        }
    }

    /// `provision info <key>`.
    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "info", abstract: "Show a key's info and usage.")
        @OptionGroup var connection: Connection
        @Argument var apiKey: String
        func run() async throws { try await connection.send(.GET, "/api/provision/\(apiKey)") }
    }

    /// `provision revoke <key>`.
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a key at once.")
        @OptionGroup var connection: Connection
        @Argument var apiKey: String
        func run() async throws { try await connection.send(.POST, "/api/provision/\(apiKey)/revoke") }
    }

    /// `provision rotate <key>`.
    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rotate", abstract: "Issue a new key; the old one works for the grace period.")
        @OptionGroup var connection: Connection
        @Argument var apiKey: String
        func run() async throws { try await connection.send(.POST, "/api/provision/\(apiKey)/rotate") }
    }
}

extension ProvisionCommand.JettyThunder {
    /// A flat JSON object of strings, through the core's canonical writer.
    static func object(_ pairs: [String: String]) -> String {
        String(decoding: CanonicalJSON.encode(.object(pairs.map { JSONMember(key: $0.key, value: .string($0.value)) })), as: UTF8.self)
    }
}
