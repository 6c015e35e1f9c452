import AgentCacheCore

/// Where key records, usage counters and namespace sets live: a file under `--data-dir`
/// (`FileKeyStore`) or Redis (`RedisKeyStore`). Errors are `CacheError`s (500 when the
/// store cannot be reached); the request path caches what it reads, see `KeyAuthority`.
public protocol KeyStore: Sendable {
    /// The record whose key hashes to `digest`, or nil. One read.
    func record(digest: String) async throws(CacheError) -> KeyRecord?
    /// Writes `records` durably before returning: a key is acknowledged only after this.
    func save(_ records: [KeyRecord]) async throws(CacheError)
    /// The persisted request count of `account` in `month` (`yyyymm`) and its namespaces.
    func usage(account: String, month: String) async throws(CacheError) -> (requests: Int64, namespaces: Set<String>)
    /// Adds `delta` to `account`'s count for `month`; returns the new persisted total.
    func addUsage(account: String, month: String, delta: Int64) async throws(CacheError) -> Int64
    /// Records that `account` uses `namespace`; false (and nothing recorded) when it would
    /// be more than `limit` distinct namespaces. Atomic with respect to other callers.
    func addNamespace(account: String, namespace: String, limit: Int?) async throws(CacheError) -> Bool
    /// Makes counts and namespaces added so far durable (the file store writes its file; Redis
    /// already is). Called by `UsageFlusher` every second and at shutdown.
    func persistUsage() async throws(CacheError)
}
