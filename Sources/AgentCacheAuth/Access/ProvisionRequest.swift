import AgentCacheCore

/// A validated request to create a key (SPEC §5, seed 000). Parsing is strict JSON through
/// the core `JSONParser`; every rejection is 400 `INVALID_REQUEST` naming the field.
public struct ProvisionRequest: Sendable {
    public var integration: String
    /// The tenant namespace the key will act for.
    public var namespace: String
    public var environment: String
    public var userID: String
    public var projectID: String
    public var tier: PlanTier
    public var sector: String?
    public var useCase: String?
    public var scopes: Set<Scope>
    public var expiresInDays: Double?
    public var allowedIPs: IPAllowList
    /// The answer's `message`.
    public var message: String

    /// The environments JettyThunder provisions.
    public static let environments = ["production", "staging", "development"]

    /// `POST /api/provision/jettythunder`: `{"environment"}` (optional, default production;
    /// an empty body is accepted as the seed's curl sends none). Namespace
    /// `jettythunder_<environment>`, tier enterprise, all scopes.
    public static func jettyThunder(_ body: [UInt8]) throws(CacheError) -> ProvisionRequest {
        let members = try parseObject(body, emptyAllowed: true)
        let environment = try string(members, "environment") ?? "production"
        guard environments.contains(environment) else {
            throw .invalidRequest("environment must be one of \(environments.joined(separator: ", ")), got '\(environment)'")
        }
        return ProvisionRequest(
            integration: "jettythunder", namespace: "jettythunder_" + environment, environment: environment,
            userID: "jettythunder", projectID: environment, tier: .enterprise, sector: "filestorage",
            useCase: "cdn_acceleration", scopes: Set(Scope.allCases), expiresInDays: nil, allowedIPs: try IPAllowList([]),
            message: "JettyThunder master key provisioned successfully"
        )
    }

    /// `POST /api/provision`: `{user_id, integration, project_id, tier?, environment?, sector?,
    /// use_case?, scopes?, expires_in_days?, allowed_ips?}`. Namespace is
    /// `<integration>_<project_id>` lowercased with `[^a-z0-9_]` → `_`; tier defaults to free,
    /// environment to production.
    public static func generic(_ body: [UInt8]) throws(CacheError) -> ProvisionRequest {
        let members = try parseObject(body, emptyAllowed: false)
        guard let userID = try string(members, "user_id"), !userID.isEmpty else { throw .invalidRequest("user_id is required") }
        guard let rawIntegration = try string(members, "integration") else { throw .invalidRequest("integration is required") }
        guard let projectID = try string(members, "project_id"), !projectID.isEmpty else { throw .invalidRequest("project_id is required") }
        let integration = try APIKey.sanitizeIntegration(rawIntegration)
        let tierName = try string(members, "tier") ?? "free"
        guard let tier = PlanTier(rawValue: tierName) else {
            throw .invalidRequest("tier must be one of free, pro, enterprise, got '\(tierName)'")
        }
        var scopes = Set(Scope.allCases)
        if let listed = members["scopes"], listed != .null {
            guard case .array(let items) = listed, !items.isEmpty else {
                throw .invalidRequest("scopes must be a non-empty array of cache:read, cache:write, cache:invalidate, stats:read")
            }
            scopes = []
            for item in items {
                guard case .string(let name) = item, let scope = Scope(rawValue: name) else {
                    throw .invalidRequest("scopes may only contain cache:read, cache:write, cache:invalidate, stats:read")
                }
                scopes.insert(scope)
            }
        }
        var expiresInDays: Double?
        switch members["expires_in_days"] {
        case nil, .null?: break
        case .number(let days)? where days > 0 && days <= 36_500: expiresInDays = days
        default: throw .invalidRequest("expires_in_days must be a positive number of days (at most 36500)")
        }
        var ips: [String] = []
        if let listed = members["allowed_ips"], listed != .null {
            guard case .array(let items) = listed else { throw .invalidRequest("allowed_ips must be an array of IPs or CIDR blocks") }
            for item in items {
                guard case .string(let entry) = item else { throw .invalidRequest("allowed_ips must be an array of IPs or CIDR blocks") }
                ips.append(entry)
            }
        }
        return ProvisionRequest(
            integration: integration, namespace: try TenantName.make(integration, projectID),
            environment: try string(members, "environment") ?? "production", userID: userID, projectID: projectID,
            tier: tier, sector: try string(members, "sector"), useCase: try string(members, "use_case"), scopes: scopes,
            expiresInDays: expiresInDays, allowedIPs: try IPAllowList(ips),
            message: "API key provisioned successfully"
        )
    }

    private static func parseObject(_ body: [UInt8], emptyAllowed: Bool) throws(CacheError) -> JSONValue {
        if emptyAllowed && body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return .object([])
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(body, maxDepth: 8)
        } catch {
            throw .invalidRequest("malformed JSON: \(error.description)")
        }
        guard case .object = value else { throw .invalidRequest("request body must be a JSON object") }
        return value
    }

    private static func string(_ object: JSONValue, _ name: String) throws(CacheError) -> String? {
        switch object[name] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        case let other?: throw .invalidRequest("\(name) must be a string, got \(other.typeName)")
        }
    }
}
