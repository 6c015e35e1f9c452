import AgentCacheTestSupport
import AgentCacheRedis
import Testing

@Suite("RedisURL parsing")
struct RedisURLTests {
    @Test("host alone gets port 6379 and database 0")
    func defaults() throws {
        let url = try RedisURL(parsing: "redis://cache.internal")
        #expect(url == RedisURL(host: "cache.internal", port: 6379, database: 0))
    }

    @Test("host, port and database are all read")
    func fullForm() throws {
        let url = try RedisURL(parsing: "redis://10.0.0.5:6380/3")
        #expect(url.host == "10.0.0.5")
        #expect(url.port == 6380)
        #expect(url.database == 3)
        #expect(url.user == nil && url.password == nil)
    }

    @Test("a password without a user, as in redis://:secret@host")
    func passwordOnly() throws {
        let url = try RedisURL(parsing: "redis://:s3cret@localhost:7000/1")
        #expect(url.user == nil)
        #expect(url.password == "s3cret")
        #expect(url.port == 7000 && url.database == 1)
    }

    @Test("user and percent-escaped password; the last @ ends the credentials")
    func userAndEscapedPassword() throws {
        let url = try RedisURL(parsing: "redis://app:p%40ss:w@rd@redis.example:6379")
        #expect(url.user == "app")
        #expect(url.password == "p@ss:w@rd")
        #expect(url.host == "redis.example")
    }

    @Test("bare credentials without a colon are a password")
    func bareCredentialIsPassword() throws {
        let url = try RedisURL(parsing: "redis://secret@host")
        #expect(url.password == "secret" && url.user == nil)
    }

    @Test("bracketed IPv6 host with a port")
    func ipv6() throws {
        let url = try RedisURL(parsing: "redis://[::1]:7001/0")
        #expect(url.host == "::1" && url.port == 7001)
    }

    @Test("a trailing slash means database 0")
    func trailingSlash() throws {
        #expect(try RedisURL(parsing: "redis://h:1/").database == 0)
    }

    @Test("the description hides the password")
    func descriptionRedacts() throws {
        let url = try RedisURL(parsing: "redis://u:topsecret@h:1/2")
        #expect(url.description == "redis://u:***@h:1/2")
        #expect(!url.description.contains("topsecret"))
    }

    @Test(
        "bad URLs are refused with a one-line reason",
        arguments: [
            ("http://localhost:6379", "scheme"),
            ("localhost:6379", "scheme"),
            ("rediss://localhost", "TLS"),
            ("redis://", "host is missing"),
            ("redis://:pw@", "host is missing"),
            ("redis://h:0", "port"),
            ("redis://h:65536", "port"),
            ("redis://h:abc", "port"),
            ("redis://h:", "port"),
            ("redis://h/x", "database"),
            ("redis://h/-1", "database"),
            ("redis://h:1/2/3", "database"),
            ("redis://u:%zz@h", "% escape"),
            ("redis://[::1", "IPv6"),
        ]
    )
    func rejects(input: String, mentioning: String) {
        do {
            let url = try RedisURL(parsing: input)
            Issue.record("\(input) parsed as \(url)")
        } catch {
            let message = "\(error)"
            #expect(message.contains(mentioning), "\(message)")
            #expect(!message.contains("\n"))
        }
    }

    @Test("a refused URL's message does not echo the password")
    func errorRedactsPassword() {
        #expect(throws: RedisURL.ParseError.self) { try RedisURL(parsing: "redis://u:hunter2@h:bad") }
        do {
            _ = try RedisURL(parsing: "redis://u:hunter2@h:bad")
        } catch {
            #expect(!"\(error)".contains("hunter2"), "\(error)")
        }
    }
}
