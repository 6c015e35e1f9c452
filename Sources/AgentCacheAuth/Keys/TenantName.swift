import AgentCacheCore

/// Tenant namespaces (`jettythunder_production`, `<integration>_<project_id>`): lowercase
/// `[a-z0-9_]`, never a `/`, so `<tenant>/<client namespace>` splits unambiguously.
public enum TenantName {
    /// Longest tenant namespace.
    public static let maxLength = 64

    /// `raw` lowercased with every character outside `[a-z0-9_]` replaced by `_`. O(n).
    static func clean(_ raw: String) -> String {
        String(decoding: raw.lowercased().utf8.map { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"): byte
            default: UInt8(ascii: "_")
            }
        }, as: UTF8.self)
    }

    /// The tenant for `parts` joined by `_`, cleaned. Throws `INVALID_REQUEST` when empty or
    /// longer than 64 characters.
    public static func make(_ parts: String...) throws(CacheError) -> String {
        let name = clean(parts.joined(separator: "_"))
        guard !name.isEmpty, name.utf8.count <= maxLength else {
            throw .invalidRequest("tenant namespace '\(name)' must be 1 to \(maxLength) characters")
        }
        return name
    }
}
