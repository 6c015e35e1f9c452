/// ISO-8601 rendering of epoch milliseconds without Foundation (this runs on every hit).
public enum Timestamp {
    /// A UTC instant broken into calendar fields.
    public struct CivilTime: Sendable, Equatable {
        public var year: Int64
        public var month: Int
        public var day: Int
        public var hour: Int
        public var minute: Int
        public var second: Int
        public var millisecond: Int
    }

    /// The UTC calendar fields of `millis` (proleptic Gregorian). O(1), no allocation.
    public static func civilTime(millis: Int64) -> CivilTime {
        let totalSeconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let days = totalSeconds >= 0 ? totalSeconds / 86_400 : (totalSeconds - 86_399) / 86_400
        let secondOfDay = Int(totalSeconds - days * 86_400)
        let (year, month, day) = civil(fromDays: days)
        return CivilTime(
            year: year,
            month: month,
            day: day,
            hour: secondOfDay / 3600,
            minute: secondOfDay / 60 % 60,
            second: secondOfDay % 60,
            millisecond: Int(millis - totalSeconds * 1000)
        )
    }

    /// `2026-11-21T05:37:11.123Z`. O(1), one 24-byte string.
    public static func iso8601(millis: Int64) -> String {
        let time = civilTime(millis: millis)
        return String(unsafeUninitializedCapacity: 24) { out in
            var index = 0
            func put(_ value: Int, width: Int) {
                var divisor = 1
                for _ in 1..<width { divisor *= 10 }
                var rest = value
                while divisor > 0 {
                    out[index] = UInt8(ascii: "0") + UInt8(rest / divisor % 10)
                    rest %= divisor
                    divisor /= 10
                    index += 1
                }
            }
            func char(_ c: Unicode.Scalar) {
                out[index] = UInt8(ascii: c)
                index += 1
            }
            put(Int(max(0, min(9999, time.year))), width: 4); char("-")
            put(time.month, width: 2); char("-")
            put(time.day, width: 2); char("T")
            put(time.hour, width: 2); char(":")
            put(time.minute, width: 2); char(":")
            put(time.second, width: 2); char(".")
            put(time.millisecond, width: 3); char("Z")
            return index
        }
    }

    /// Howard Hinnant's days-from-civil inverse: proleptic Gregorian date of a day count.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
