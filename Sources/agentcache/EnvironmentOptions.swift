import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// Reads `AGENTCACHE_<NAME>` variables, the fallback for every flag.
struct EnvironmentOptions {
    /// The value of `AGENTCACHE_<name>`, nil when unset or empty.
    subscript(name: String) -> String? {
        guard let raw = getenv("AGENTCACHE_" + name) else { return nil }
        let value = String(cString: raw)
        return value.isEmpty ? nil : value
    }

    /// A yes/no variable: true for `1`/`true`/`yes`, false for `0`/`false`/`no` (any case),
    /// nil when unset or anything else.
    func flag(_ name: String) -> Bool? {
        switch self[name]?.lowercased() {
        case "1", "true", "yes": true
        case "0", "false", "no": false
        default: nil
        }
    }

    /// A comma-separated list variable, white space dropped; empty when unset.
    func list(_ name: String) -> [String] {
        (self[name] ?? "").split(separator: ",").map { String($0.filter { !$0.isWhitespace }) }.filter { !$0.isEmpty }
    }

    /// An integer variable; a malformed one is reported against its flag.
    func integer(_ name: String, flag: String) throws -> Int? {
        guard let value = self[name] else { return nil }
        guard let number = Int(value) else {
            throw ValidationError("AGENTCACHE_\(name) (\(flag)) must be an integer, got '\(value)'")
        }
        return number
    }

    /// A numeric variable; a malformed one is reported against its flag.
    func number(_ name: String, flag: String) throws -> Double? {
        guard let value = self[name] else { return nil }
        guard let number = Double(value), number.isFinite else {
            throw ValidationError("AGENTCACHE_\(name) (\(flag)) must be a number, got '\(value)'")
        }
        return number
    }
}
