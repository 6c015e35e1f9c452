import AgentCacheCore

/// What the server knows about one key: everything but the key itself, which is never
/// stored (only its SHA-256 `digest`). Persisted as a flat string map (a Redis hash, or an
/// object in `keys.json`).
@dynamicMemberLookup
public struct KeyRecord: Sendable, Equatable {
    /// The record's values, read and written as the record's own properties
    /// (`record.account`, `record.revokedAtMillis = now`).
    public struct Attributes: Sendable, Equatable {
        /// SHA-256 of the key, hex: the record's identity.
        public var digest: String
        /// Identity of usage, quota, rate and namespace accounting: the digest of the first key
        /// of a rotation chain, so a rotated key continues its predecessor's counts.
        public var account: String
        public var integration: String
        /// The tenant namespace the key acts for.
        public var namespace: String
        public var environment: String
        public var userID: String
        public var projectID: String
        public var tier: PlanTier
        public var sector: String?
        public var useCase: String?
        public var scopes: Set<Scope>
        public var allowedIPs: IPAllowList
        public var createdAtMillis: Int64
        /// Optional expiry chosen at provisioning.
        public var expiresAtMillis: Int64?
        /// Set by revoke: the key is refused from then on.
        public var revokedAtMillis: Int64?
        /// Set by rotate: the end of the old key's grace period.
        public var retiresAtMillis: Int64?
        /// Set by rotate: the digest of the key that replaced this one (its pending successor while
        /// this key is in its grace period; a second rotation revokes it and names a new one).
        public var successor: String?

    }

    /// One immutable reference: a record is copied at every step of admission (into each
    /// step's context, into the `Admission`), and copying a reference is one retain where the
    /// record's dozen strings and sets would cost one each. A change (revoke, rotate) makes a
    /// new storage; that is an admin operation, never on the request path.
    @usableFromInline
    final class Storage: Sendable {
        @usableFromInline let attributes: Attributes
        @usableFromInline init(_ attributes: Attributes) { self.attributes = attributes }
    }

    @usableFromInline var storage: Storage

    /// The value at `path`. Cost: one load, as for a stored property.
    @inlinable
    public subscript<Value>(dynamicMember path: KeyPath<Attributes, Value>) -> Value {
        storage.attributes[keyPath: path]
    }

    /// The value at `path`; setting it gives this record new storage (copies never see it).
    @inlinable
    public subscript<Value>(dynamicMember path: WritableKeyPath<Attributes, Value>) -> Value {
        get { storage.attributes[keyPath: path] }
        set {
            var attributes = storage.attributes
            attributes[keyPath: path] = newValue
            storage = Storage(attributes)
        }
    }

    public static func == (lhs: KeyRecord, rhs: KeyRecord) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.attributes == rhs.storage.attributes
    }

    /// Makes a record; see the properties.
    public init(
        digest: String, account: String, integration: String, namespace: String, environment: String,
        userID: String, projectID: String, tier: PlanTier, sector: String? = nil, useCase: String? = nil,
        scopes: Set<Scope> = Set(Scope.allCases), allowedIPs: IPAllowList, createdAtMillis: Int64,
        expiresAtMillis: Int64? = nil, revokedAtMillis: Int64? = nil, retiresAtMillis: Int64? = nil, successor: String? = nil
    ) {
        storage = Storage(Attributes(
            digest: digest,
            account: account,
            integration: integration,
            namespace: namespace,
            environment: environment,
            userID: userID,
            projectID: projectID,
            tier: tier,
            sector: sector,
            useCase: useCase,
            scopes: scopes,
            allowedIPs: allowedIPs,
            createdAtMillis: createdAtMillis,
            expiresAtMillis: expiresAtMillis,
            revokedAtMillis: revokedAtMillis,
            retiresAtMillis: retiresAtMillis,
            successor: successor
        ))
    }

    /// `active`, `revoked`, `expired` or `rotated` (grace over) at `now`.
    public func status(at now: Int64) -> String {
        if self.revokedAtMillis != nil { return "revoked" }
        if let retires = self.retiresAtMillis, now >= retires { return "rotated" }
        if let expires = self.expiresAtMillis, now >= expires { return "expired" }
        return "active"
    }

    /// The record as a flat string map; absent optionals are left out. O(fields).
    public var fields: [String: String] {
        var out: [String: String] = [
            "digest": self.digest, "account": self.account, "integration": self.integration, "namespace": self.namespace,
            "environment": self.environment, "user_id": self.userID, "project_id": self.projectID, "tier": self.tier.rawValue,
            "scopes": self.scopes.sorted().map(\.rawValue).joined(separator: " "),
            "allowed_ips": self.allowedIPs.entries.joined(separator: " "),
            "created_at": String(self.createdAtMillis),
        ]
        out["sector"] = self.sector
        out["use_case"] = self.useCase
        out["expires_at"] = self.expiresAtMillis.map { String($0) }
        out["revoked_at"] = self.revokedAtMillis.map { String($0) }
        out["retires_at"] = self.retiresAtMillis.map { String($0) }
        out["successor"] = self.successor
        return out
    }

    /// Reads a record back from `fields`; nil when a required field is missing or malformed
    /// (a damaged record is treated as unknown, never as a wildcard).
    public init?(fields: [String: String]) {
        guard let digest = fields["digest"], let account = fields["account"], let integration = fields["integration"],
            let namespace = fields["namespace"], let environment = fields["environment"],
            let userID = fields["user_id"], let projectID = fields["project_id"],
            let tier = fields["tier"].flatMap(PlanTier.init(rawValue:)),
            let created = fields["created_at"].flatMap({ Int64($0) })
        else { return nil }
        var scopes = Set<Scope>()
        for name in (fields["scopes"] ?? "").split(separator: " ") {
            guard let scope = Scope(rawValue: String(name)) else { return nil }
            scopes.insert(scope)
        }
        guard let allowed = try? IPAllowList((fields["allowed_ips"] ?? "").split(separator: " ").map(String.init)) else {
            return nil
        }
        self.init(
            digest: digest, account: account, integration: integration, namespace: namespace, environment: environment,
            userID: userID, projectID: projectID, tier: tier, sector: fields["sector"], useCase: fields["use_case"],
            scopes: scopes, allowedIPs: allowed, createdAtMillis: created,
            expiresAtMillis: fields["expires_at"].flatMap { Int64($0) },
            revokedAtMillis: fields["revoked_at"].flatMap { Int64($0) },
            retiresAtMillis: fields["retires_at"].flatMap { Int64($0) },
            successor: fields["successor"]
        )
    }
}
