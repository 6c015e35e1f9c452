import AgentCacheCore
import NIOConcurrencyHelpers

/// Monthly request counts and namespace sets per account, counted in memory on the request
/// path and pushed to the `KeyStore` by `flush` (every second, via `UsageFlusher`).
///
/// The quota check reads the last persisted total plus what this node counted since, so
/// across N nodes the quota can be overshot by at most what the other nodes counted in the
/// last flush interval. New namespaces go to the store at once (atomic limit check there),
/// so the namespace limit holds exactly across nodes.
///
/// A namespace costs O(1) and the sets stay small: on a plan with a namespace limit an
/// account's set never grows past the limit; on a plan without one admission needs no set, so
/// only the first `namespaceSample` namespaces are remembered (for key info) and later ones are
/// admitted with a lock and no store call.
public final class UsageLedger: Sendable {
    struct Account: Sendable {
        var month: String
        var persisted: Int64
        var pending: Int64
        var namespaces: Set<String>
        /// Without a namespace limit: the store refused to remember more (the sample is full).
        var sampleFull = false
    }

    /// Distinct namespaces remembered per account on plans without a namespace limit.
    public static let namespaceSample = 100

    private let store: any KeyStore
    private let accounts = NIOLockedValueBox([String: Account]())

    /// Counts into `store`.
    public init(store: any KeyStore) {
        self.store = store
    }

    /// Makes sure `account`'s counts for `month` (`yyyymm`) are loaded: at hand once they are
    /// (a lock); one store read the first time an account is seen in a month.
    func prepare(account: String, month: String) -> Eventual<Void> {
        let known = accounts.withLockedValue { $0[account] }
        if known?.month == month { return .done }
        return .async { [self] () throws(CacheError) in
            if let known, known.pending > 0 {
                // The month turned: what was counted belongs to the old month.
                _ = try? await store.addUsage(account: account, month: known.month, delta: known.pending)
            }
            let loaded = try await store.usage(account: account, month: month)
            accounts.withLockedValue { accounts in
                if accounts[account]?.month != month {
                    accounts[account] = Account(month: month, persisted: loaded.requests, pending: 0, namespaces: loaded.namespaces)
                }
            }
        }
    }

    /// Counts one request when it fits `quota`; returns whether it did and the count after.
    /// O(1) under one lock. Call `prepare` first.
    func count(account: String, quota: Int64) -> (allowed: Bool, used: Int64) {
        accounts.withLockedValue { accounts in
            guard var entry = accounts[account] else { return (true, 0) }
            let used = entry.persisted + entry.pending
            guard used < quota else { return (false, used) }
            entry.pending += 1
            accounts[account] = entry
            return (true, used + 1)
        }
    }

    /// Requests counted for `account` this month so far (persisted + pending here).
    public func used(account: String, month: String) async throws(CacheError) -> Int64 {
        try await prepare(account: account, month: month).get()
        return accounts.withLockedValue { $0[account].map { $0.persisted + $0.pending } ?? 0 }
    }

    /// The namespaces `account` has used, as far as they are remembered (see the type).
    func namespaces(account: String, month: String) async throws(CacheError) -> Set<String> {
        try await prepare(account: account, month: month).get()
        return accounts.withLockedValue { $0[account]?.namespaces ?? [] }
    }

    /// Whether `account` may use `namespace` under `limit` distinct namespaces (nil: no limit,
    /// always true); records it when new and the set has room (`limit`, or `namespaceSample`
    /// without one). At hand (a lock) for a known namespace, and for any once an unlimited
    /// account's sample is full; one store call for a new one otherwise. While the store is
    /// unreachable, decided by this node alone (the limit holds per node).
    func admitNamespace(account: String, namespace: String, limit: Int?) -> Eventual<Bool> {
        let known = accounts.withLockedValue { $0[account].map { $0.sampleFull || $0.namespaces.contains(namespace) } ?? false }
        if known { return .value(true) }
        return .async { [self] () throws(CacheError) in
            let added: Bool
            do throws(CacheError) {
                added = try await store.addNamespace(account: account, namespace: namespace, limit: limit ?? Self.namespaceSample)
            } catch {
                guard error.code == .serviceUnavailable else { throw error }
                // The store is unreachable (SPEC §3: that never fails a request): decided on this
                // node alone. Without a limit there is nothing to check; with one, the namespaces
                // this node knows must leave room, and the new one is remembered here.
                return accounts.withLockedValue { accounts in
                    guard let limit, var entry = accounts[account] else { return true }
                    guard entry.namespaces.count < limit else { return false }
                    entry.namespaces.insert(namespace)
                    accounts[account] = entry
                    return true
                }
            }
            guard added else {
                guard limit == nil else { return false }
                accounts.withLockedValue { $0[account]?.sampleFull = true }
                return true
            }
            accounts.withLockedValue { _ = $0[account]?.namespaces.insert(namespace) }
            return true
        }
    }

    /// Pushes every pending count to the store and makes it durable. On failure the counts
    /// stay pending for the next flush. Cost: one store call per account with pending counts.
    public func flush() async {
        let pending = accounts.withLockedValue { accounts in
            accounts.compactMap { account, entry -> (String, String, Int64)? in
                guard entry.pending > 0 else { return nil }
                accounts[account]?.pending = 0
                return (account, entry.month, entry.pending)
            }
        }
        for (account, month, delta) in pending {
            do {
                let total = try await store.addUsage(account: account, month: month, delta: delta)
                accounts.withLockedValue { accounts in
                    if accounts[account]?.month == month { accounts[account]?.persisted = total }
                }
            } catch {
                accounts.withLockedValue { accounts in
                    if accounts[account]?.month == month { accounts[account]?.pending += delta }
                }
            }
        }
        try? await store.persistUsage()
    }
}
