import AgentCacheAuth
import AgentCacheCore
import HTTPTypes
import Hummingbird
import NIOCore

/// The admin routes of SPEC §5: provision (JettyThunder and generic), info, revoke, rotate.
/// All are registered `.admin` (`Authorization: Bearer <admin token>`); with no admin token
/// configured `Access` refuses them (403), never open. Answers follow seed 000; the key is shown once and neither it
/// nor its digest is ever returned again.
struct ProvisionRoutes {
    /// nil in open mode: every admin route answers 403.
    let authority: KeyAuthority?
    let maxBodyBytes: Int
    let clock: any CacheClock

    func register(on routes: RouteTable.Builder) {
        routes.add(.post, "/api/provision/jettythunder", .admin, provisionJettyThunder)
        routes.add(.post, "/api/provision", .admin, provision)
        routes.add(.get, "/api/provision/:api_key", .adminOrHolder, info)
        routes.add(.post, "/api/provision/:api_key/revoke", .admin, revoke)
        routes.add(.post, "/api/provision/:api_key/rotate", .admin, rotate)
    }

    @Sendable func provisionJettyThunder(_ request: Request, context: AgentCacheRequestContext, caller: Caller) async throws -> Response {
        let authority = try enabled()
        let body = try await request.collectBody(upTo: maxBodyBytes)
        return try await created(authority.provision(try ProvisionRequest.jettyThunder(Array(buffer: body))), plans: authority.plans, message: nil)
    }

    @Sendable func provision(_ request: Request, context: AgentCacheRequestContext, caller: Caller) async throws -> Response {
        let authority = try enabled()
        let body = try await request.collectBody(upTo: maxBodyBytes)
        let parsed = try ProvisionRequest.generic(Array(buffer: body))
        return created(try await authority.provision(parsed), plans: authority.plans, message: parsed.message)
    }

    @Sendable func info(_ request: Request, context: AgentCacheRequestContext, caller: Caller) async throws -> Response {
        let authority = try enabled()
        let info = try await authority.info(try context.parameters.require("api_key"))
        let record = info.record
        let limits = authority.plans[record.tier]
        var writer = JSONObjectWriter(allocator: ByteBufferAllocator(), capacity: 1024)
        writer.field("success", true)
        writer.field("status", ascii: info.status)
        writer.field("integration", string: record.integration)
        writer.field("namespace", string: record.namespace)
        writer.field("environment", string: record.environment)
        writer.field("user_id", string: record.userID)
        writer.field("project_id", string: record.projectID)
        writer.field("tier", ascii: record.tier.rawValue)
        writer.field("rate_limit", limits.monthlyRequests)
        if let sector = record.sector { writer.field("sector", string: sector) } else { writer.null("sector") }
        if let useCase = record.useCase { writer.field("use_case", string: useCase) } else { writer.null("use_case") }
        writer.field("scopes", strings: record.scopes.sorted().map(\.rawValue))
        writer.field("allowed_ips", strings: record.allowedIPs.entries)
        writer.field("created_at", ascii: Timestamp.iso8601(millis: record.createdAtMillis))
        Self.optionalTime(&writer, "expires_at", record.expiresAtMillis)
        Self.optionalTime(&writer, "revoked_at", record.revokedAtMillis)
        Self.optionalTime(&writer, "valid_until", record.retiresAtMillis)
        writer.object("limits") { Self.write(limits, into: &$0) }
        writer.object("usage") { usage in
            usage.field("month", ascii: String(info.month.prefix(4)) + "-" + String(info.month.suffix(2)))
            usage.field("requests", info.requests)
            usage.field("quota", limits.monthlyRequests)
            usage.field("remaining", max(0, limits.monthlyRequests - info.requests))
            usage.field("namespaces_used", info.namespacesUsed)
            usage.field("namespaces", strings: info.namespaces)
            usage.field("namespaces_truncated", info.namespacesTruncated)
        }
        return .json(writer.finish())
    }

    @Sendable func revoke(_ request: Request, context: AgentCacheRequestContext, caller: Caller) async throws -> Response {
        let authority = try enabled()
        let record = try await authority.revoke(try context.parameters.require("api_key"))
        var writer = JSONObjectWriter(allocator: ByteBufferAllocator(), capacity: 256)
        writer.field("success", true)
        writer.field("message", ascii: "API key revoked")
        writer.field("namespace", string: record.namespace)
        writer.field("status", ascii: record.status(at: clock.nowMillis()))
        return .json(writer.finish())
    }

    @Sendable func rotate(_ request: Request, context: AgentCacheRequestContext, caller: Caller) async throws -> Response {
        let authority = try enabled()
        let rotated = try await authority.rotate(try context.parameters.require("api_key"))
        let until = Timestamp.iso8601(millis: rotated.old.retiresAtMillis ?? clock.nowMillis())
        var writer = JSONObjectWriter(allocator: ByteBufferAllocator(), capacity: 512)
        Self.writeKey(rotated.key, rotated.record, limits: authority.plans[rotated.record.tier], message: "API key rotated; the old key keeps working until \(until)", into: &writer)
        writer.field("old_key_valid_until", ascii: until)
        return .json(writer.finish())
    }

    // MARK: - Helpers

    /// The authority; `Access` has checked the admin token, which implies one.
    private func enabled() throws(CacheError) -> KeyAuthority {
        guard let authority else { throw CacheError(.insufficientPermissions, "admin routes are disabled") }
        return authority
    }

    private func created(_ provisioned: (key: APIKey, record: KeyRecord), plans: PlanLimits, message: String?) -> Response {
        var writer = JSONObjectWriter(allocator: ByteBufferAllocator(), capacity: 512)
        let text = message ?? (provisioned.record.integration == "jettythunder"
            ? "JettyThunder master key provisioned successfully" : "API key provisioned successfully")
        Self.writeKey(provisioned.key, provisioned.record, limits: plans[provisioned.record.tier], message: text, into: &writer)
        return .json(writer.finish(), status: .created)
    }

    /// Seed 000's shape: success, message, api_key, namespace, environment, rate_limit, tier.
    private static func writeKey(_ key: APIKey, _ record: KeyRecord, limits: TierLimits, message: String, into writer: inout JSONObjectWriter) {
        writer.field("success", true)
        writer.field("message", string: message)
        writer.field("api_key", ascii: key.text)
        writer.field("namespace", string: record.namespace)
        writer.field("environment", string: record.environment)
        writer.field("rate_limit", limits.monthlyRequests)
        writer.field("tier", ascii: record.tier.rawValue)
    }

    private static func write(_ limits: TierLimits, into writer: inout JSONObjectWriter) {
        writer.field("requests_per_month", limits.monthlyRequests)
        writer.field("requests_per_second", limits.requestsPerSecond)
        if let value = limits.concurrentRequests { writer.field("concurrent_requests", value) } else { writer.null("concurrent_requests") }
        if let value = limits.maxNamespaces { writer.field("namespaces", value) } else { writer.null("namespaces") }
        if let value = limits.maxTTLSeconds { writer.field("max_ttl_seconds", number: value) } else { writer.null("max_ttl_seconds") }
    }

    private static func optionalTime(_ writer: inout JSONObjectWriter, _ name: StaticString, _ millis: Int64?) {
        if let millis { writer.field(name, ascii: Timestamp.iso8601(millis: millis)) } else { writer.null(name) }
    }
}
