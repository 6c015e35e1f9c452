import AgentCacheAuth
import AgentCacheCore
import AgentCacheServer
import Foundation
import HTTPTypes
import Testing

/// The admin token every key-mode test server runs with.
let testAdminToken = "test-admin-token-0123456789abcdef"

/// A fresh empty directory for one server's `keys.json`.
func temporaryDataDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("agentcache-keys-\(UUID().uuidString)").path
}

/// `withTestServer` in key mode: admin token set, keys in `dataDirectory` (fresh by default).
func withAuthServer<Value: Sendable>(
    clock: ManualClock = ManualClock(millis: testEpochMillis),
    dataDirectory: String = temporaryDataDirectory(),
    configure: (inout ServerConfiguration) -> Void = { _ in },
    _ test: @Sendable (APIClient) async throws -> Value
) async throws -> Value {
    try await withTestServer(clock: clock, configure: { configuration in
        configuration.adminToken = testAdminToken
        configuration.dataDirectory = dataDirectory
        configure(&configuration)
    }, test)
}

/// `Authorization: Bearer <admin token>`.
let adminHeaders: HTTPFields = [.authorization: "Bearer \(testAdminToken)"]

/// `X-API-Key: <key>`, plus `X-Cache-Namespace` when `namespace` is given.
func keyHeaders(_ key: String, namespace: String? = nil) -> HTTPFields {
    var fields: HTTPFields = [HTTPField.Name("X-API-Key")!: key]
    if let namespace { fields[HTTPField.Name("X-Cache-Namespace")!] = namespace }
    return fields
}

extension APIClient {
    /// Provisions a key through `POST /api/provision` and returns it. `extra` adds members.
    func provisionKey(
        integration: String = "acme",
        project: String = "p1",
        tier: String = "pro",
        _ extra: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String {
        let body = #"{"user_id":"u1","integration":"\#(integration)","project_id":"\#(project)","tier":"\#(tier)""#
            + (extra.isEmpty ? "" : "," + extra) + "}"
        let reply = try await post("/api/provision", body, headers: adminHeaders)
        #expect(reply.status == .created, "body: \(reply.text)", sourceLocation: sourceLocation)
        return try #require(try reply.object()["api_key"] as? String, sourceLocation: sourceLocation)
    }

    /// `GET /api/provision/<key>` as admin, parsed.
    func keyInfo(_ key: String) async throws -> [String: Any] {
        let reply = try await request("/api/provision/\(key)", headers: adminHeaders)
        #expect(reply.status == .ok, "body: \(reply.text)")
        return try reply.object()
    }

    /// The server's key authority (key-mode servers only).
    var authority: KeyAuthority {
        get throws { try #require(parts.auth) }
    }
}
