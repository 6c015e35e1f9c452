import AgentCacheCore
import Logging
import NIOConcurrencyHelpers

/// Everything API keys decide, with no HTTP in it: who a credential is (`authenticate`),
/// whether one request of theirs may run now (`admit`: rate, IP allow-list, scope, quota,
/// concurrency), and the admin operations (provision, info, revoke, rotate).
///
/// Records are cached in memory after the first lookup and re-read from the store after
/// `recordRefreshMillis` (5 s; a record in use is re-read in the background from 4 s), so a
/// revocation made on another node takes effect within that long; on this node at once. While
/// the store fails, cached records keep being served (fail open to what was known). A key that fails the format or checksum never reaches
/// the store.
public final class KeyAuthority: Sendable {
    /// Where keys and usage persist.
    public let store: any KeyStore
    /// Monthly counts and namespaces.
    public let ledger: UsageLedger
    /// Requests in flight per account (in process, or shared through Redis).
    public let concurrency: any ConcurrencyLimiting
    /// How long a rotated key keeps working, in seconds.
    public let rotationGraceSeconds: Double
    /// The limits of each plan tier (SPEC §5's unless the operator overrides them).
    public let plans: PlanLimits
    private let limiter: any RateLimiting
    private let clock: any CacheClock
    private let logger: Logger
    private let cache = NIOLockedValueBox([String: (record: KeyRecord, loadedAt: Int64)]())
    private let lookups = NIOLockedValueBox(0)
    /// Digests of credentials that parsed, so a key in use costs a dictionary lookup instead of
    /// two SHA-256 runs per request. Holds key texts in memory, as every request does anyway.
    private let digests = NIOLockedValueBox([String: String]())
    /// Credentials remembered at most; the table starts over when full.
    static let digestCacheLimit = 10_000

    /// How long a cached record is trusted before it is re-read.
    static let recordRefreshMillis: Int64 = 5_000
    /// When a record in use is re-read in the background, so it is fresh again before
    /// `recordRefreshMillis` and no request waits for the store.
    static let recordRefreshAheadMillis: Int64 = 4_000
    private let refreshes = BackgroundRefresh<String>()
    /// The last store read failed: cached records are served at any age (as a failed re-read
    /// would serve them) until a read succeeds, instead of each request waiting for one.
    private let storeFailing = NIOLockedValueBox(false)

    /// Default rotation grace: 24 hours, as seed 000 suggests retiring an old key after 24 h.
    public static let defaultRotationGraceSeconds: Double = 86_400

    /// Decides with `store`, `limiter`, `concurrency` and wall-clock `clock` (expiry, grace,
    /// months).
    public init(
        store: any KeyStore,
        limiter: any RateLimiting,
        concurrency: any ConcurrencyLimiting = ConcurrencyLimiter(),
        clock: any CacheClock = SystemClock(),
        rotationGraceSeconds: Double = defaultRotationGraceSeconds,
        plans: PlanLimits = .standard,
        logger: Logger = Logger(label: "agentcache.auth")
    ) {
        self.plans = plans
        self.store = store
        self.ledger = UsageLedger(store: store)
        self.limiter = limiter
        self.concurrency = concurrency
        self.clock = clock
        self.rotationGraceSeconds = rotationGraceSeconds
        self.logger = logger
    }

    /// How many times a record was read from the store (tests check a mistyped key makes none).
    public var storeLookups: Int { lookups.withLockedValue { $0 } }

    // MARK: - Request path

    /// The record of `credential`, if it is a live key. Fails with 401 `API_KEY_REQUIRED`
    /// (none), `INVALID_API_KEY` (malformed, bad checksum, unknown, revoked) or
    /// `API_KEY_EXPIRED` (past its expiry, or rotated and past its grace period).
    /// Cost: at hand (`.now`) for a credential whose record is cached (two locks); one store
    /// read otherwise (and one SHA-256 pair the first time a credential is seen).
    public func authenticate(_ credential: String?) -> Eventual<KeyRecord> {
        let digest: String
        do {
            digest = try self.digest(of: credential)
        } catch {
            return .failure(error)
        }
        let now = clock.nowMillis()
        let cached = cache.withLockedValue { $0[digest] }
        if let cached {
            let age = now - cached.loadedAt
            // Re-read ahead, in the background, so a key in use never waits for the store;
            // and while the store fails, serve what is cached (as a failed re-read would).
            if age >= Self.recordRefreshAheadMillis { refreshInBackground(digest: digest, cached: cached.record) }
            if age < Self.recordRefreshMillis || storeFailing.withLockedValue({ $0 }) {
                return .now(checkLive(cached.record))
            }
        }
        return .async { [self] () throws(CacheError) in
            guard let record = try await load(digest: digest, cached: cached?.record) else {
                throw CacheError(.invalidAPIKey, "API key is not recognised")
            }
            return try checkLive(record).get()
        }
    }

    /// The digest of the key in `credential`, or 401 `API_KEY_REQUIRED` / `INVALID_API_KEY`.
    /// A credential seen before costs a lock and a lookup.
    private func digest(of credential: String?) throws(CacheError) -> String {
        guard let credential, !credential.isEmpty else {
            throw CacheError(.apiKeyRequired, "API key required: send it as X-API-Key or Authorization: Bearer")
        }
        if let known = digests.withLockedValue({ $0[credential] }) { return known }
        let digest = try APIKey.parse(credential).digest
        digests.withLockedValue { table in
            if table.count >= Self.digestCacheLimit { table.removeAll(keepingCapacity: true) }
            table[credential] = digest
        }
        return digest
    }

    /// `record`, or 401 for a revoked, retired or expired one.
    private func checkLive(_ record: KeyRecord) -> Result<KeyRecord, CacheError> {
        let now = clock.nowMillis()
        if record.revokedAtMillis != nil {
            return .failure(CacheError(.invalidAPIKey, "API key has been revoked"))
        }
        if let retires = record.retiresAtMillis, now >= retires {
            return .failure(CacheError(.apiKeyExpired, "API key was rotated and its grace period ended at \(Timestamp.iso8601(millis: retires)); use the new key"))
        }
        if let expires = record.expiresAtMillis, now >= expires {
            return .failure(CacheError(.apiKeyExpired, "API key expired at \(Timestamp.iso8601(millis: expires))"))
        }
        return .success(record)
    }

    /// Lets one request of `record` needing `scope` from `clientAddress` run, or fails with
    /// 429 `RATE_LIMIT_EXCEEDED`, 403 `INSUFFICIENT_PERMISSIONS` (IP not allowed, scope
    /// missing), 429 `QUOTA_EXCEEDED`. Every error carries the rate-limit headers (and
    /// `Retry-After` when waiting helps). Concurrency is `hold`'s, for the steps that wait.
    /// Cost: at hand (`.now`) when the rate limiter holds an allowance and this month's counts
    /// are loaded: a limiter decision and a ledger lock. Otherwise one round trip for each part
    /// that is not (a Redis script, one store read per account and month).
    public func admit(_ record: KeyRecord, scope: Scope, clientAddress: @autoclosure () -> String?) -> Eventual<Admission> {
        let request = AdmissionRequest(
            record: record, limits: plans[record.tier], month: Self.month(of: clock.nowMillis()), scope: scope,
            // Asked only of a key with an allow-list (it may format an address).
            clientAddress: record.allowedIPs.isEmpty ? nil : clientAddress()
        )
        // Each step takes what it needs as `with:` (no closure context on the hit path).
        return limiter.acquire(key: record.account, ratePerSecond: request.limits.requestsPerSecond).flatMap(with: (self, request)) { step, rate in
            let (authority, request) = step
            do throws(CacheError) {
                try Self.checkAccess(request.record, limits: request.limits, rate: rate, scope: request.scope, clientAddress: request.clientAddress)
            } catch {
                return .failure(error)
            }
            return authority.ledger.prepare(account: request.record.account, month: request.month).flatMapResult(with: (authority, request, rate)) { step, prepared in
                let (authority, request, rate) = step
                do throws(CacheError) {
                    if case .failure(let error) = prepared {
                        throw CacheError(error.code, error.message, responseHeaders: Self.rateHeaders(rate))
                    }
                    let counted = authority.ledger.count(account: request.record.account, quota: request.limits.monthlyRequests)
                    try Self.checkQuota(request.record, limits: request.limits, counted, rate: rate)
                } catch {
                    return .failure(error)
                }
                return .value(Admission(record: request.record, limits: request.limits, rate: rate))
            }
        }
    }

    /// What `admit` decides on, handed from step to step.
    private struct AdmissionRequest: Sendable {
        let record: KeyRecord
        let limits: TierLimits
        let month: String
        let scope: Scope
        let clientAddress: String?
    }

    /// Checks the rate, the IP allow-list and the scope: 429 `RATE_LIMIT_EXCEEDED` or 403
    /// `INSUFFICIENT_PERMISSIONS`, with the rate-limit headers (built only when refusing).
    private static func checkAccess(
        _ record: KeyRecord,
        limits: TierLimits,
        rate: RateDecision,
        scope: Scope,
        clientAddress: String?
    ) throws(CacheError) {
        guard rate.allowed else {
            var headers = rateHeaders(rate)
            headers["Retry-After"] = String(rate.retryAfterSeconds)
            throw CacheError(
                .rateLimitExceeded,
                "rate limit of \(limits.requestsPerSecond) requests per second exceeded (\(record.tier.rawValue) tier); retry after \(rate.retryAfterSeconds) s",
                responseHeaders: headers
            )
        }
        if let address = clientAddress, !record.allowedIPs.allows(address) {
            throw CacheError(.insufficientPermissions, "this API key is not allowed from \(address) (IP allow-list)", responseHeaders: rateHeaders(rate))
        } else if clientAddress == nil && !record.allowedIPs.isEmpty {
            throw CacheError(.insufficientPermissions, "this API key has an IP allow-list and the client address is unknown", responseHeaders: rateHeaders(rate))
        }
        guard record.scopes.contains(scope) else {
            throw CacheError(
                .insufficientPermissions,
                "this API key lacks the \(scope.rawValue) scope (it has: \(record.scopes.sorted().map(\.rawValue).joined(separator: ", ")))",
                responseHeaders: rateHeaders(rate)
            )
        }
    }

    /// 429 `QUOTA_EXCEEDED` unless the ledger counted the request.
    private static func checkQuota(
        _ record: KeyRecord,
        limits: TierLimits,
        _ counted: (allowed: Bool, used: Int64),
        rate: RateDecision
    ) throws(CacheError) {
        guard counted.allowed else {
            throw CacheError(
                .quotaExceeded,
                "monthly quota of \(limits.monthlyRequests) requests used up (\(record.tier.rawValue) tier); it resets on the 1st (UTC)",
                responseHeaders: rateHeaders(rate)
            )
        }
    }

    /// Runs an admitted request's `steps` under its tier's concurrent-request limit. Steps at
    /// hand finish within the event-loop turn that admitted them and hold nothing; steps that
    /// must wait (a Redis or origin round trip, a store write) hold one of the key's slots while
    /// they do, released before their result is handed back, or fail with 429
    /// `RATE_LIMIT_EXCEEDED` (`Retry-After: 1`) when none is free. The same rule for every
    /// route and entry point. Cost: nothing for steps at hand; for waiting steps, a lock in
    /// process or a Redis round trip each to take and give back a shared slot.
    public func hold<Value: Sendable>(_ admission: Admission, while steps: Eventual<Value>) -> Eventual<Value> {
        guard case .later(let operation) = steps, let limit = admission.limits.concurrentRequests else { return steps }
        let record = admission.record
        return concurrency.acquire(record.account, limit: limit).flatMap { [concurrency] slot in
            guard let slot else {
                var headers = Self.rateHeaders(admission.rate)
                headers["Retry-After"] = "1"
                return .failure(CacheError(
                    .rateLimitExceeded,
                    "more than \(limit) concurrent requests for this key (\(record.tier.rawValue) tier)",
                    responseHeaders: headers
                ))
            }
            return .later {
                let result = await operation()
                _ = await concurrency.release(slot).result
                return result
            }
        }
    }

    /// Checks `record` may use client namespace `name` (tier's namespace limit); records it.
    /// Fails with 403 `INSUFFICIENT_PERMISSIONS` naming the limit. Cost: at hand (a lock) for
    /// a namespace the key has used; one store call for a new one.
    public func admitNamespace(_ name: String, for record: KeyRecord) -> Eventual<Void> {
        let limit = plans[record.tier].maxNamespaces
        return ledger.admitNamespace(account: record.account, namespace: name, limit: limit).map(with: (record.tier, name, limit)) { step, admitted throws(CacheError) in
            let (tier, name, limit) = step
            guard admitted else {
                throw CacheError(
                    .insufficientPermissions,
                    "namespace limit reached: the \(tier.rawValue) tier allows \(limit ?? 0) namespace\(limit == 1 ? "" : "s") per key and '\(name)' would be one more"
                )
            }
        }
    }

    // MARK: - Admin

    /// Creates a key for `request`, stores it durably, and returns it (shown once). Throws 409
    /// `CONFLICT` when the tenant namespace belongs to another `(user_id, integration,
    /// project_id)`: tenants are one-to-one with them, and the first to claim a name keeps it.
    public func provision(_ request: ProvisionRequest) async throws(CacheError) -> (key: APIKey, record: KeyRecord) {
        let owner = TenantOwner(userID: request.userID, integration: request.integration, projectID: request.projectID)
        guard try await store.claimTenant(request.namespace, for: owner) else {
            throw CacheError(
                .conflict,
                "tenant namespace '\(request.namespace)' already belongs to a different (user_id, integration, project_id); choose another integration or project_id"
            )
        }
        let key = APIKey.generate(integration: request.integration)
        let now = clock.nowMillis()
        let record = KeyRecord(
            digest: key.digest, account: key.digest, integration: request.integration, namespace: request.namespace,
            environment: request.environment, userID: request.userID, projectID: request.projectID, tier: request.tier,
            sector: request.sector, useCase: request.useCase, scopes: request.scopes, allowedIPs: request.allowedIPs,
            createdAtMillis: now,
            expiresAtMillis: request.expiresInDays.map { now + Int64(($0 * 86_400_000).rounded()) }
        )
        try await store.save([record])
        remember(record)
        logger.info("API key provisioned", metadata: ["namespace": "\(record.namespace)", "tier": "\(record.tier.rawValue)"])
        return (key, record)
    }

    /// The record and usage of `credential`. 400 when malformed, 404 `NOT_FOUND` when unknown.
    public func info(_ credential: String) async throws(CacheError) -> KeyInfo {
        let record = try await existing(credential)
        let month = Self.month(of: clock.nowMillis())
        let namespaces = try await ledger.namespaces(account: record.account, month: month)
        let listed = KeyInfo.namespacesListed
        return KeyInfo(
            record: record,
            status: record.status(at: clock.nowMillis()),
            month: month,
            requests: try await ledger.used(account: record.account, month: month),
            namespaces: Array(namespaces.sorted().prefix(listed)),
            namespacesUsed: namespaces.count,
            namespacesTruncated: namespaces.count > listed || (plans[record.tier].maxNamespaces == nil && namespaces.count >= UsageLedger.namespaceSample)
        )
    }

    /// Revokes `credential` at once (on other nodes within the record refresh time).
    public func revoke(_ credential: String) async throws(CacheError) -> KeyRecord {
        var record = try await existing(credential)
        if record.revokedAtMillis == nil { record.revokedAtMillis = clock.nowMillis() }
        try await store.save([record])
        remember(record)
        return record
    }

    /// A new key with the same tenant, tier, scopes and accounting; the old one keeps working
    /// for `rotationGraceSeconds`. Rotating a revoked or already retired key is refused (400).
    /// Rotating a key again during its grace period replaces its pending successor: that one is
    /// revoked, so a key never has two live successors, and the grace period is not extended.
    /// 409 `CONFLICT` when the successor was itself rotated (rotate the newest key instead) or
    /// another rotation of the same key won a race. Reads the record from the store, not the
    /// cache, so a rotation made on another node is seen.
    public func rotate(_ credential: String) async throws(CacheError) -> (key: APIKey, record: KeyRecord, old: KeyRecord) {
        var old = try await existing(credential, cached: false)
        let now = clock.nowMillis()
        guard old.status(at: now) == "active" else {
            throw .invalidRequest("only an active key can be rotated; this one is \(old.status(at: now))")
        }
        var replaced: KeyRecord?
        if let pending = old.successor {
            replaced = try await store.record(digest: pending)
            if replaced?.retiresAtMillis != nil {
                throw CacheError(.conflict, "this key's successor was rotated too; rotate the newest key of the chain instead")
            }
        } else if old.retiresAtMillis != nil {
            // Rotated before successors were recorded: its successor cannot be found to replace.
            throw CacheError(.conflict, "this key was already rotated; rotate its successor instead")
        }
        if var replaced, replaced.revokedAtMillis == nil {
            // Revoked before the old record names the new successor: a crash in between leaves
            // no extra live key, only a retry to do.
            replaced.revokedAtMillis = now
            try await store.save([replaced])
            remember(replaced)
        }
        let key = APIKey.generate(integration: old.integration)
        var fresh = old
        fresh.digest = key.digest
        fresh.createdAtMillis = now
        fresh.retiresAtMillis = nil
        fresh.successor = nil
        let previous = old.successor
        let graceEnd = now + Int64((rotationGraceSeconds * 1000).rounded())
        old.retiresAtMillis = min(old.retiresAtMillis ?? graceEnd, graceEnd)
        old.successor = fresh.digest
        guard try await store.save(old, ifSuccessorIs: previous) else {
            throw CacheError(.conflict, "this key was rotated by another request at the same time; read its info and retry")
        }
        try await store.save([fresh])
        remember(fresh)
        remember(old)
        logger.info("API key rotated", metadata: ["namespace": "\(old.namespace)", "replaced_pending_successor": "\(replaced != nil)"])
        return (key, fresh, old)
    }

    // MARK: - Helpers

    /// `rate.headerPairs` as an error's response headers.
    static func rateHeaders(_ rate: RateDecision) -> [String: String] {
        Dictionary(uniqueKeysWithValues: rate.headerPairs)
    }

    /// `yyyymm` (UTC) of `millis`, from the core's civil-time arithmetic (no formatter: the
    /// fast path asks on every request).
    public static func month(of millis: Int64) -> String {
        let civil = Timestamp.civilTime(millis: millis)
        let year = String(civil.year)
        let month = civil.month < 10 ? "0\(civil.month)" : String(civil.month)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year + month
    }

    /// The record of `credential` (400 when malformed, 404 when unknown), from the record cache
    /// unless `cached` is false.
    private func existing(_ credential: String, cached: Bool = true) async throws(CacheError) -> KeyRecord {
        let key: APIKey
        do {
            key = try APIKey.parse(credential)
        } catch {
            throw .invalidRequest(error.message)
        }
        let found = cached ? try await record(digest: key.digest) : try await store.record(digest: key.digest)
        guard let record = found else {
            throw CacheError(.notFound, "no such API key")
        }
        return record
    }

    /// The record of `digest`: the cached one while fresh, else read from the store.
    private func record(digest: String) async throws(CacheError) -> KeyRecord? {
        let now = clock.nowMillis()
        let cached = cache.withLockedValue { $0[digest] }
        if let cached, now - cached.loadedAt < Self.recordRefreshMillis { return cached.record }
        return try await load(digest: digest, cached: cached?.record)
    }

    /// Reads `digest`'s record from the store and caches it. While the store is unreachable a
    /// key seen before (`cached`) keeps working on what we knew.
    private func load(digest: String, cached: KeyRecord?) async throws(CacheError) -> KeyRecord? {
        lookups.withLockedValue { $0 += 1 }
        do {
            let record = try await store.record(digest: digest)
            storeFailing.withLockedValue { $0 = false }
            if let record { remember(record) } else { cache.withLockedValue { $0[digest] = nil } }
            return record
        } catch {
            storeFailing.withLockedValue { $0 = true }
            if let cached { return cached }
            throw error
        }
    }

    /// Re-reads the record of `digest` unless a re-read is running already.
    private func refreshInBackground(digest: String, cached: KeyRecord) {
        refreshes.start(digest) { [self] in _ = try? await load(digest: digest, cached: cached) }
    }

    private func remember(_ record: KeyRecord) {
        let now = clock.nowMillis()
        cache.withLockedValue { $0[record.digest] = (record, now) }
    }
}

/// A key's record and usage, for `GET /api/provision/<key>`.
public struct KeyInfo: Sendable {
    public let record: KeyRecord
    /// `active`, `revoked`, `expired` or `rotated`.
    public let status: String
    /// `yyyymm` the counts are for.
    public let month: String
    public let requests: Int64
    /// The client namespaces used, sorted, at most `namespacesListed`.
    public let namespaces: [String]
    /// How many namespaces the key has used: exact on plans with a namespace limit; without
    /// one at most `UsageLedger.namespaceSample` are remembered.
    public let namespacesUsed: Int
    /// Whether more namespaces were (or may have been) used than `namespaces` lists.
    public let namespacesTruncated: Bool

    /// Namespaces listed at most.
    public static let namespacesListed = UsageLedger.namespaceSample
}
