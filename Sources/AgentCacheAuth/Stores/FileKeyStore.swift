#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AgentCacheCore
import NIOConcurrencyHelpers
import NIOPosix
import ServiceLifecycle

/// Keys, tenant owners, usage and namespaces in `<data-dir>/keys.json`, held in memory and
/// written whole and atomically: temp file in the same directory, fsync, rename over
/// `keys.json`, fsync the directory. `save` returns only after that, so an acknowledged key
/// survives a crash. Usage counts are written by `persistUsage` (every second, and at
/// shutdown): a crash loses at most the last second of counts, never a key.
///
/// The store is the only writer of its directory: it holds a `DataDirectoryLock` from `init`
/// until graceful shutdown (run it as a service, added before the `UsageFlusher` so the last
/// flush comes first), so a second process on the same `--data-dir` cannot start and rewrite
/// `keys.json` from its own memory.
///
/// Writes run on NIO's blocking thread pool, serialised by `writeLock`, each one a snapshot
/// of the state taken under that lock, so the file never goes back in time.
public final class FileKeyStore: KeyStore, Service {
    struct State: Sendable {
        var records: [String: KeyRecord] = [:]
        /// Tenant namespace -> the owner it was given to.
        var tenants: [String: TenantOwner] = [:]
        /// account -> month -> requests.
        var usage: [String: [String: Int64]] = [:]
        var namespaces: [String: Set<String>] = [:]
        var dirty = false

        /// Gives each record's tenant to its owner where the tenant has none yet, oldest key
        /// first: files written before tenants were claimed keep their keys' tenants, and the
        /// first owner of a tenant keeps it (keys that already shared one go on working). O(n log n).
        mutating func claimRecordedTenants() {
            let oldestFirst = records.values.sorted { ($0.createdAtMillis, $0.digest) < ($1.createdAtMillis, $1.digest) }
            for record in oldestFirst where tenants[record.namespace] == nil {
                tenants[record.namespace] = TenantOwner(record)
                dirty = true
            }
        }
    }

    /// The file written.
    public let path: String
    private let directory: String
    private let lock: DataDirectoryLock
    private let state = NIOLockedValueBox(State())
    private let writeLock = NIOLock()

    /// Opens (creating the directory if needed) and locks `directory`, removes a temp file a
    /// killed writer left, and reads `<directory>/keys.json`. Throws a one-line reason when the
    /// directory cannot be made, another process holds it, or the file is damaged.
    /// Cost: reads and parses the whole file once.
    public init(directory: String) throws(CacheError) {
        self.directory = directory
        self.path = directory + "/keys.json"
        try Self.makeDirectory(directory)
        lock = try DataDirectoryLock(directory: directory)
        // Only a write cut short (SIGKILL, power loss) leaves it; keys.json is whole either way.
        unlink(path + ".tmp")
        if let bytes = Self.readFile(path) {
            guard var loaded = try? Self.decode(bytes) else {
                throw CacheError(.internalError, "\(path) is not a valid key file; restore it from a backup or move it away")
            }
            loaded.claimRecordedTenants()
            state.withLockedValue { $0 = loaded }
        }
    }

    /// Holds the directory lock until graceful shutdown, then releases it (`unlock`).
    public func run() async throws {
        try? await gracefulShutdown()
        unlock()
    }

    /// Gives the data directory up to another store or process; writes fail from then on.
    public func unlock() {
        lock.release()
    }

    public func record(digest: String) async throws(CacheError) -> KeyRecord? {
        state.withLockedValue { $0.records[digest] }
    }

    public func save(_ records: [KeyRecord]) async throws(CacheError) {
        state.withLockedValue { state in
            for record in records { state.records[record.digest] = record }
        }
        try await write()
    }

    public func save(_ record: KeyRecord, ifSuccessorIs expected: String?) async throws(CacheError) -> Bool {
        let saved = state.withLockedValue { state in
            guard state.records[record.digest]?.successor == expected else { return false }
            state.records[record.digest] = record
            return true
        }
        if saved { try await write() }
        return saved
    }

    public func claimTenant(_ tenant: String, for owner: TenantOwner) async throws(CacheError) -> Bool {
        state.withLockedValue { state in
            if let holder = state.tenants[tenant] { return holder == owner }
            state.tenants[tenant] = owner
            state.dirty = true
            return true
        }
    }

    public func usage(account: String, month: String) async throws(CacheError) -> (requests: Int64, namespaces: Set<String>) {
        state.withLockedValue { ($0.usage[account]?[month] ?? 0, $0.namespaces[account] ?? []) }
    }

    public func addUsage(account: String, month: String, delta: Int64) async throws(CacheError) -> Int64 {
        state.withLockedValue { state in
            state.dirty = true
            state.usage[account, default: [:]][month, default: 0] += delta
            return state.usage[account]![month]!
        }
    }

    public func addNamespace(account: String, namespace: String, limit: Int?) async throws(CacheError) -> Bool {
        state.withLockedValue { state in
            // In place: copying the set out and back would cost O(namespaces) per new one.
            if state.namespaces[account]?.contains(namespace) == true { return true }
            if let limit, state.namespaces[account, default: []].count >= limit { return false }
            state.namespaces[account, default: []].insert(namespace)
            state.dirty = true
            return true
        }
    }

    public func persistUsage() async throws(CacheError) {
        guard state.withLockedValue({ $0.dirty }) else { return }
        try await write()
    }

    // MARK: - File

    private func write() async throws(CacheError) {
        guard lock.isHeld else {
            throw CacheError(.internalError, "could not write \(path): the data directory lock was released (shutting down)")
        }
        let result: Result<Void, CacheError>
        do {
            result = try await NIOThreadPool.singleton.runIfActive { [self] in
                writeLock.withLock { () -> Result<Void, CacheError> in
                    let bytes = state.withLockedValue { state in
                        state.dirty = false
                        return Self.encode(state)
                    }
                    return Result { () throws(CacheError) in try Self.atomicWrite(bytes, to: path, directory: directory) }
                }
            }
        } catch {
            throw CacheError(.internalError, "could not write \(path): thread pool unavailable")
        }
        if case .failure = result { state.withLockedValue { $0.dirty = true } }
        try result.get()
    }

    static func atomicWrite(_ bytes: [UInt8], to path: String, directory: String) throws(CacheError) {
        let temp = path + ".tmp"
        func fail(_ step: String) -> CacheError {
            CacheError(.internalError, "could not \(step) \(temp): \(String(cString: strerror(errno)))")
        }
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw fail("create") }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                close(fd)
                throw fail("write")
            }
            written += count
        }
        guard fsync(fd) == 0 else {
            close(fd)
            throw fail("fsync")
        }
        close(fd)
        guard rename(temp, path) == 0 else { throw fail("rename") }
        // The rename is durable only once the directory entry is.
        let dirfd = open(directory, O_RDONLY | O_DIRECTORY)
        if dirfd >= 0 {
            fsync(dirfd)
            close(dirfd)
        }
    }

    /// The whole file at `path`, nil when it cannot be opened (also `--prices`).
    public static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            out.append(contentsOf: chunk[0..<count])
        }
        return out
    }

    static func makeDirectory(_ path: String) throws(CacheError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw CacheError(.internalError, "could not create data directory \(prefix) (--data-dir): \(String(cString: strerror(errno)))")
            }
            prefix += "/"
        }
    }

    // MARK: - Encoding

    /// `{"version":1,"keys":{digest:{...}},"tenants":{tenant:[user_id,integration,project_id]},`
    /// `"usage":{account:{month:n}},"namespaces":{account:[...]}}`
    static func encode(_ state: State) -> [UInt8] {
        func object(_ pairs: [(String, JSONValue)]) -> JSONValue {
            .object(pairs.map { JSONMember(key: $0.0, value: $0.1) })
        }
        let keys = object(state.records.map { digest, record in
            (digest, object(record.fields.map { ($0.key, .string($0.value)) }))
        })
        let usage = object(state.usage.map { account, months in
            (account, object(months.map { ($0.key, .number(Double($0.value))) }))
        })
        let tenants = object(state.tenants.map { ($0.key, $0.value.json) })
        let namespaces = object(state.namespaces.map { account, names in
            (account, .array(names.sorted().map { .string($0) }))
        })
        return CanonicalJSON.encode(
            object([("version", .number(1)), ("keys", keys), ("tenants", tenants), ("usage", usage), ("namespaces", namespaces)])
        )
    }

    static func decode(_ bytes: [UInt8]) throws -> State {
        struct Damaged: Error {}
        guard case .object(let root) = try JSONParser.parse(bytes, maxDepth: 8) else { throw Damaged() }
        var state = State()
        for member in root where member.key != "version" {
            guard case .object(let entries) = member.value else { throw Damaged() }
            for entry in entries {
                switch (member.key, entry.value) {
                case ("keys", .object(let fields)):
                    var map: [String: String] = [:]
                    for field in fields {
                        guard case .string(let value) = field.value else { throw Damaged() }
                        map[field.key] = value
                    }
                    guard let record = KeyRecord(fields: map) else { throw Damaged() }
                    state.records[entry.key] = record
                case ("tenants", let owner):
                    guard let owner = TenantOwner(json: owner) else { throw Damaged() }
                    state.tenants[entry.key] = owner
                case ("usage", .object(let months)):
                    for month in months {
                        guard case .number(let count) = month.value else { throw Damaged() }
                        state.usage[entry.key, default: [:]][month.key] = Int64(count)
                    }
                case ("namespaces", .array(let names)):
                    state.namespaces[entry.key] = Set(names.compactMap { if case .string(let name) = $0 { name } else { nil } })
                default:
                    throw Damaged()
                }
            }
        }
        return state
    }
}
