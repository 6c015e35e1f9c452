import AgentCacheCore

/// The `Date` header value (RFC 9110 IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`), formatted
/// once per second and reused in between. Not thread-safe: one per connection handler.
struct HTTPDate {
    private var second: Int64 = -1
    private var text = ""
    private let clock: any CacheClock

    /// Dates from `clock` (wall time).
    init(clock: any CacheClock = SystemClock()) {
        self.clock = clock
    }

    /// The current date; a clock read, and a format when the second changed.
    mutating func now() -> String {
        let millis = clock.nowMillis()
        let current = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        if current != second {
            second = current
            text = Self.format(seconds: current)
        }
        return text
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// IMF-fixdate of `seconds` since the Unix epoch.
    static func format(seconds: Int64) -> String {
        let civil = Timestamp.civilTime(millis: seconds * 1000)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        // 1970-01-01 was a Thursday.
        let weekday = Int(((days % 7) + 7 + 4) % 7)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(weekdays[weekday]), \(two(civil.day)) \(months[civil.month - 1]) \(civil.year) \(two(civil.hour)):\(two(civil.minute)):\(two(civil.second)) GMT"
    }
}
