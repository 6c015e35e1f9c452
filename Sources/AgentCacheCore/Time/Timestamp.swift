/// ISO-8601 rendering of epoch milliseconds without Foundation (this runs on every hit).
public enum Timestamp {
    /// `2026-11-21T05:37:11.123Z`. O(1), one 24-byte string.
    public static func iso8601(millis: Int64) -> String {
        let totalSeconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let milli = Int(millis - totalSeconds * 1000)
        let days = totalSeconds >= 0 ? totalSeconds / 86_400 : (totalSeconds - 86_399) / 86_400
        let secondOfDay = Int(totalSeconds - days * 86_400)
        let (year, month, day) = civil(fromDays: days)
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
            put(Int(max(0, min(9999, year))), width: 4); char("-")
            put(month, width: 2); char("-")
            put(day, width: 2); char("T")
            put(secondOfDay / 3600, width: 2); char(":")
            put(secondOfDay / 60 % 60, width: 2); char(":")
            put(secondOfDay % 60, width: 2); char(".")
            put(milli, width: 3); char("Z")
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
