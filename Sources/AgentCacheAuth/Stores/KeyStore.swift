import AgentCacheCore

/// Where key records, tenant owners, usage counters and namespace sets live: a file under
/// `--data-dir` (`FileKeyStore`) or Redis (`RedisKeyStore`). Errors are `CacheError`s (500 when the
/// store cannot be reached); the request path caches what it reads, see `KeyAuthority`.
public protocol KeyStore: Sendable {
    /// The record whose key hashes to `digest`, or nil. One read.
    func record(digest: String) async throws(CacheError) -> KeyRecord?
    /// Writes `records` durably before returning: a key is acknowledged only after this.
    func save(_ records: [KeyRecord]) async throws(CacheError)
    /// Writes `record` durably only if the stored record with its digest names `expected` as
    /// its successor (nil: none); false, having written nothing, otherwise. Atomic with respect
    /// to other callers (and nodes): how a rotation makes sure it is the only one.
    func save(_ record: KeyRecord, ifSuccessorIs expected: String?) async throws(CacheError) -> Bool
    /// Gives tenant namespace `tenant` to `owner` unless another owner holds it; true when
    /// `owner` holds it afterwards (now or from before). A tenant is never given back. Atomic
    /// with respect to other callers (and nodes); durable once the key is saved.
    func claimTenant(_ tenant: String, for owner: TenantOwner) async throws(CacheError) -> Bool
    /// The persisted request count of `account` in `month` (`yyyymm`) and its namespaces.
    func usage(account: String, month: String) async throws(CacheError) -> (requests: Int64, namespaces: Set<String>)
    /// Adds `delta` to `account`'s count for `month`; returns the new persisted total.
    func addUsage(account: String, month: String, delta: Int64) async throws(CacheError) -> Int64
    /// Records that `account` uses `namespace`; false (and nothing recorded) when it would
    /// be more than `limit` distinct namespaces, so a set never grows past its limit. Atomic
    /// with respect to other callers. O(1).
    func addNamespace(account: String, namespace: String, limit: Int?) async throws(CacheError) -> Bool
    /// Makes counts and namespaces added so far durable (the file store writes its file; Redis
    /// already is). Called by `UsageFlusher` every second and at shutdown.
    func persistUsage() async throws(CacheError)
}
