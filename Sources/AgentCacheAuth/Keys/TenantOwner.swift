import AgentCacheCore

/// Who a tenant namespace belongs to: the `(user_id, integration, project_id)` its keys were
/// provisioned for (SPEC §5: two different triples never share a tenant). JettyThunder keys are
/// `(jettythunder, jettythunder, <environment>)`. The integration is the sanitised one of the
/// key prefix (`My-App` and `my_app` are one integration); user and project compare exactly.
public struct TenantOwner: Sendable, Hashable {
    public var userID: String
    public var integration: String
    public var projectID: String

    /// The owner `(userID, integration, projectID)`.
    public init(userID: String, integration: String, projectID: String) {
        self.userID = userID
        self.integration = integration
        self.projectID = projectID
    }

    /// The owner of `record`'s tenant.
    public init(_ record: KeyRecord) {
        self.init(userID: record.userID, integration: record.integration, projectID: record.projectID)
    }

    /// `["<user_id>","<integration>","<project_id>"]`: how stores keep an owner.
    public var json: JSONValue {
        .array([.string(userID), .string(integration), .string(projectID)])
    }

    /// `json` as canonical JSON text (one text per owner, so stores compare owners as strings).
    public var encoded: String {
        String(decoding: CanonicalJSON.encode(json), as: UTF8.self)
    }

    /// Reads `json` back; nil unless it is an array of three strings.
    public init?(json: JSONValue) {
        guard case .array(let parts) = json, parts.count == 3,
            case .string(let userID) = parts[0], case .string(let integration) = parts[1], case .string(let projectID) = parts[2]
        else { return nil }
        self.init(userID: userID, integration: integration, projectID: projectID)
    }

    /// Reads `encoded` back; nil when it is not an owner.
    public init?(encoded: String) {
        guard let value = try? JSONParser.parse(Array(encoded.utf8), maxDepth: 2) else { return nil }
        self.init(json: value)
    }
}
