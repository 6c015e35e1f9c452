/// A tenant's namespace: the unit of isolation and of O(1) invalidation (SPEC §2).
/// The qualified form `<tenant>/<name>` is what keys, generations and Redis keys use.
public struct CacheNamespace: Hashable, Sendable, CustomStringConvertible {
    /// The namespace a client gets when it names none.
    public static let defaultName = "default"
    /// The longest client namespace accepted, counted after sanitising.
    public static let maxNameLength = 64

    /// The tenant that owns the namespace (from the API key; `default` before keys exist).
    public let tenant: String
    /// The sanitised client namespace inside the tenant.
    public let name: String
    /// `<tenant>/<name>`, computed once because every lookup hashes it.
    public let qualified: String

    /// Makes a namespace from an already-sanitised `name`; use `init(tenant:clientNamespace:)` for client input.
    public init(tenant: String, name: String) {
        self.tenant = tenant
        self.name = name
        self.qualified = tenant + "/" + name
    }

    /// Makes a namespace from what a client sent, sanitising it first.
    /// Throws `INVALID_REQUEST` when the sanitised name is longer than 64 characters.
    public init(tenant: String, clientNamespace: String?) throws(CacheError) {
        self.init(tenant: tenant, name: try Self.sanitize(clientNamespace))
    }

    /// Splits a qualified `<tenant>/<name>` back into its parts; nil without a `/`.
    /// Tenants never contain `/`, so the first one is the boundary.
    public init?(qualified: String) {
        guard let slash = qualified.firstIndex(of: "/") else { return nil }
        self.init(tenant: String(qualified[..<slash]), name: String(qualified[qualified.index(after: slash)...]))
    }

    public var description: String { qualified }

    /// The seed's `replace(/[^a-zA-Z0-9_-]/g, '_')`, code unit by UTF-16 code unit as
    /// JavaScript does (so an emoji becomes `__`, matching the published client), at most
    /// 64 characters, empty or absent -> `default`. O(n), one allocation.
    public static func sanitize(_ raw: String?) throws(CacheError) -> String {
        guard let raw, !raw.isEmpty else { return defaultName }
        var units = [UInt8]()
        units.reserveCapacity(raw.utf16.count)
        for unit in raw.utf16 {
            if unit < 0x80, isAllowed(UInt8(unit)) {
                units.append(UInt8(unit))
            } else {
                units.append(UInt8(ascii: "_"))
            }
        }
        guard units.count <= maxNameLength else {
            throw .invalidRequest("namespace is \(units.count) characters long; the limit is \(maxNameLength)")
        }
        return String(decoding: units, as: UTF8.self)
    }

    private static func isAllowed(_ char: UInt8) -> Bool {
        switch char {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
