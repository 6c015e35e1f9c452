import AgentCacheCore
/// Where a Redis server is and how to log in: `redis://[[user]:password@]host[:port][/db]`.
///
/// Parsing is a single pass over the string, no Foundation. Percent-escapes (`%40` for `@`)
/// are decoded in the user name and password so any password can be written in a URL.
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    /// The port used when the URL names none.
    public static let defaultPort = 6379

    /// Host name or IP address (IPv6 without its brackets).
    public var host: String
    /// TCP port, 1...65535.
    public var port: Int
    /// ACL user name for `AUTH user password` (Redis 6+); nil means the legacy `AUTH password`.
    public var user: String?
    /// Password for `AUTH`; nil means no `AUTH` is sent.
    public var password: String?
    /// Database index for `SELECT`; 0 is the default and sends no `SELECT`.
    public var database: Int

    /// Makes a URL from its parts.
    public init(host: String, port: Int = defaultPort, user: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Why a string is not a usable Redis URL; the description is one line fit for a CLI error.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong, e.g. `invalid Redis URL "http://x": the scheme must be redis://`.
        public let description: String

        init(_ url: String, _ why: String) {
            description = "invalid Redis URL \"\(RedisURL.redactingPassword(url))\": \(why)"
        }
    }

    /// Parses `redis://[[user]:password@]host[:port][/db]`. O(n) in the string's length.
    /// Throws a `ParseError` naming the first problem (scheme, host, port, database, escape).
    public init(parsing string: String) throws(ParseError) {
        let scheme = "redis://"
        guard string.hasPrefix(scheme) else {
            if string.hasPrefix("rediss://") {
                throw ParseError(string, "TLS (rediss://) is not supported; use redis://")
            }
            throw ParseError(string, "the scheme must be redis://")
        }
        var rest = Substring(string.dropFirst(scheme.count))

        // Everything after the first "/" is the database; a query or fragment is not part of the grammar.
        var databaseText: Substring?
        if let slash = rest.firstIndex(of: "/") {
            databaseText = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }

        // The last "@" ends the credentials, so an unescaped "@" in a password still parses.
        var user: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let userPart = credentials[..<colon]
                let passwordPart = credentials[credentials.index(after: colon)...]
                user = userPart.isEmpty ? nil : try Self.percentDecoded(userPart, in: string)
                password = try Self.percentDecoded(passwordPart, in: string)
            } else if !credentials.isEmpty {
                // `redis://secret@host` is what many tools accept for a password alone.
                password = try Self.percentDecoded(credentials, in: string)
            }
        }

        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw ParseError(string, "unterminated [IPv6] host") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw ParseError(string, "unexpected text after the [IPv6] host") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.firstIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw ParseError(string, "the host is missing") }
        guard !host.contains(where: { $0 == " " || $0 == "?" || $0 == "#" }) else {
            throw ParseError(string, "the host \"\(host)\" is not a host name")
        }

        var port = Self.defaultPort
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value), portText.allSatisfy(\.isASCII) else {
                throw ParseError(string, "the port \"\(portText)\" is not a number in 1...65535")
            }
            port = value
        }

        var database = 0
        if let databaseText, !databaseText.isEmpty {
            guard let value = Int(databaseText), value >= 0, databaseText.allSatisfy(\.isASCII) else {
                throw ParseError(string, "the database \"\(databaseText)\" is not a non-negative number")
            }
            database = value
        }

        self.init(host: String(host), port: port, user: user, password: password, database: database)
    }

    /// The URL with the password replaced by `***`, safe for logs.
    public var description: String {
        var text = "redis://"
        if user != nil || password != nil {
            text += user ?? ""
            if password != nil { text += ":***" }
            text += "@"
        }
        text += host.contains(":") ? "[\(host)]" : host
        text += ":\(port)/\(database)"
        return text
    }

    /// `string` with whatever sits between `://` and the last `@` reduced to `***`, for error messages.
    static func redactingPassword(_ string: String) -> String {
        guard let schemeEnd = string.firstRange(of: "://"), let at = string.lastIndex(of: "@"), at > schemeEnd.upperBound else {
            return string
        }
        return String(string[..<schemeEnd.upperBound]) + "***" + String(string[at...])
    }

    private static func percentDecoded(_ text: Substring, in url: String) throws(ParseError) -> String {
        guard text.contains("%") else { return String(text) }
        guard let bytes = Hex.percentDecoded(text) else {
            throw ParseError(url, "a % escape in the credentials is not followed by two hex digits")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

}
