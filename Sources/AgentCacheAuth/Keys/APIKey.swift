import AgentCacheCore
import Crypto

/// An API key: `ac_<integration>_<32 hex random><8 hex checksum>`.
///
/// 128 random bits from `SystemRandomNumberGenerator`; the checksum is the first 4 bytes of
/// SHA-256 over `ac_<integration>_<random hex>`, so a mistyped key fails `parse` before any
/// store lookup. The integration may itself contain underscores: the key is split at its
/// LAST underscore. Only `digest` (SHA-256 of the whole key, hex) is ever stored.
public struct APIKey: Sendable, Equatable, CustomStringConvertible {
    /// The sanitised integration name (`[a-z0-9_]`, 1...32 characters).
    public let integration: String
    /// The full key text, shown to its owner once.
    public let text: String

    /// Hex digits of randomness in a key (128 bits).
    static let randomHexLength = 32
    /// Hex digits of checksum in a key (32 bits).
    static let checksumHexLength = 8
    /// Longest integration name.
    public static let maxIntegrationLength = 32

    private init(integration: String, text: String) {
        self.integration = integration
        self.text = text
    }

    /// Redacted: a key must never end up in a log line by accident.
    public var description: String { "ac_\(integration)_<redacted>" }

    /// A new random key for `integration` (already sanitised). Cost: 16 random bytes, one SHA-256.
    public static func generate(integration: String) -> APIKey {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let body = "ac_\(integration)_\(Hex.encode(random))"
        return APIKey(integration: integration, text: body + checksum(of: body))
    }

    /// Validates the format and checksum of `text`, without any lookup.
    /// Throws 401 `INVALID_API_KEY` naming what is wrong. Cost: one SHA-256 of ~60 bytes.
    public static func parse(_ text: String) throws(CacheError) -> APIKey {
        let invalid = CacheError(
            .invalidAPIKey,
            "API key is malformed: expected ac_<integration>_<40 hex digits>; check it was copied whole"
        )
        let integrationStart = text.utf8.index(text.startIndex, offsetBy: 3, limitedBy: text.endIndex) ?? text.endIndex
        guard text.hasPrefix("ac_"), let last = text.lastIndex(of: "_"), last > integrationStart else { throw invalid }
        let tail = text[text.index(after: last)...]
        let integration = String(text[integrationStart..<last])
        guard tail.utf8.count == randomHexLength + checksumHexLength, Hex.isLowercaseHex(tail),
            (try? sanitizeIntegration(integration)) == integration
        else { throw invalid }
        let body = String(text.dropLast(checksumHexLength))
        guard checksum(of: body) == text.suffix(checksumHexLength) else {
            throw CacheError(.invalidAPIKey, "API key checksum does not match: the key was mistyped or truncated")
        }
        return APIKey(integration: integration, text: text)
    }

    /// SHA-256 of the key text, lowercase hex: the only form stored and looked up.
    public var digest: String { Self.digest(of: text) }

    /// SHA-256 of `text`, lowercase hex.
    public static func digest(of text: String) -> String {
        Hex.encode(SHA256.hash(data: Array(text.utf8)))
    }

    /// Lowercases `raw` and turns every character outside `[a-z0-9_]` into `_`.
    /// Throws `INVALID_REQUEST` when the result is empty or longer than 32 characters.
    public static func sanitizeIntegration(_ raw: String) throws(CacheError) -> String {
        let cleaned = TenantName.clean(raw)
        guard !cleaned.isEmpty, cleaned.utf8.count <= maxIntegrationLength else {
            throw .invalidRequest("integration must be 1 to \(maxIntegrationLength) characters of [a-z0-9_], got '\(raw)'")
        }
        return cleaned
    }

    private static func checksum(of body: String) -> String {
        Hex.encode(SHA256.hash(data: Array(body.utf8)).prefix(4))
    }
}
