extension CanonicalJSON {
    /// ECMAScript Number.prototype.toString of a finite double (RFC 8785 §3.2.2.3); -0 -> "0".
    /// O(1); integers below 2^53 avoid any allocation, other values format via one small String.
    public static func writeNumber(_ value: Double, into out: inout [UInt8]) {
        precondition(value.isFinite, "RFC 8785 cannot represent NaN or infinity")
        if value == 0 {
            // Covers -0 too: ECMAScript prints it as "0".
            out.append(UInt8(ascii: "0"))
            return
        }
        var magnitude = value
        if value < 0 {
            out.append(UInt8(ascii: "-"))
            magnitude = -value
        }
        // Below 2^53 every integer is exact, so its shortest round-trip form is the integer itself
        // and ECMAScript prints it plainly (it has at most 16 digits, under the 21-digit cutoff).
        if magnitude < 9_007_199_254_740_992, magnitude.rounded(.towardZero) == magnitude {
            appendDecimal(UInt64(magnitude), into: &out)
            return
        }
        writeShortestDigits(of: magnitude, into: &out)
    }

    /// Lays out the shortest round-trip digits of a positive finite `magnitude` following
    /// ECMA-262 Number::toString.
    private static func writeShortestDigits(of magnitude: Double, into out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { digits in
            let (count, point) = shortestDigits(of: magnitude, into: digits)
            appendLayout(digits: UnsafeBufferPointer(rebasing: digits[0..<count]), point: point, exponentSign: true, into: &out)
        }
    }

    /// Writes the shortest round-trip significant digits of a positive finite `magnitude` into
    /// `digits` (room for 40) and returns how many, `k`, and the point position `n` such that
    /// the value is 0.d1d2…dk × 10^n. Swift's `description` already yields the shortest digit
    /// string that round-trips (choosing the closest when several do), which is exactly the
    /// digit string ECMAScript asks for; only where the point goes is re-derived. One String.
    @inline(__always)
    internal static func shortestDigits(
        of magnitude: Double, into digits: UnsafeMutableBufferPointer<UInt8>
    ) -> (count: Int, point: Int) {
        let text = magnitude.description
        var digitCount = 0
        var integerDigits = 0
        var leadingZeros = 0
        var seenPoint = false
        var inExponent = false
        var exponentNegative = false
        var exponent = 0
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let digit = Int(b &- UInt8(ascii: "0"))
                if inExponent {
                    exponent = exponent * 10 + digit
                    continue
                }
                if !seenPoint { integerDigits += 1 }
                if digitCount == 0 && digit == 0 {
                    leadingZeros += 1
                } else {
                    precondition(digitCount < digits.count, "unexpected Double.description form")
                    digits[digitCount] = b
                    digitCount += 1
                }
            case UInt8(ascii: "."):
                seenPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                inExponent = true
            case UInt8(ascii: "-"):
                exponentNegative = true
            default:
                break
            }
        }
        while digitCount > 1 && digits[digitCount - 1] == UInt8(ascii: "0") {
            digitCount -= 1
        }
        return (digitCount, integerDigits - leadingZeros + (exponentNegative ? -exponent : exponent))
    }

    /// Appends 0.d1d2…dk × 10^n (`digits` non-empty, no leading or trailing zeros) laid out as
    /// ECMA-262 Number::toString does: plain when 0 < n ≤ 21 or -6 < n ≤ 0, else one digit, the
    /// rest after a point, and an exponent. `exponentSign` writes `e+` for positive exponents as
    /// ECMAScript does; the exact decimal form of SPEC §2 writes `e` alone. O(k + |n| ≤ 21).
    @inline(__always)
    internal static func appendLayout(
        digits: UnsafeBufferPointer<UInt8>, point n: Int, exponentSign: Bool, into out: inout [UInt8]
    ) {
        let k = digits.count
        if k <= n && n <= 21 {
            out.append(contentsOf: digits)
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: n - k))
        } else if 0 < n && n <= 21 {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[0..<n]))
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[n..<k]))
        } else if -6 < n && n <= 0 {
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -n))
            out.append(contentsOf: digits)
        } else {
            out.append(digits[0])
            if k > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[1..<k]))
            }
            out.append(UInt8(ascii: "e"))
            let decimalExponent = n - 1
            if decimalExponent < 0 {
                out.append(UInt8(ascii: "-"))
            } else if exponentSign {
                out.append(UInt8(ascii: "+"))
            }
            appendDecimal(UInt64(decimalExponent.magnitude), into: &out)
        }
    }

    /// The value of the number ±0.d1d2…dk × 10^n (`digits` are the significant digits, without
    /// leading or trailing zeros): `.number` when a Double holds it exactly (the shortest
    /// round-trip form of the nearest Double has these very digits and point), else `.decimal`
    /// with its exact canonical text (SPEC §2). The parser decides common numbers without this;
    /// here one correctly rounded conversion and, past 15 digits, one `description`.
    internal static func number(negative: Bool, digits: UnsafeBufferPointer<UInt8>, point n: Int) -> JSONValue {
        if let value = exactDouble(digits: digits, point: n) {
            return .number(negative ? -value : value)
        }
        var text: [UInt8] = []
        text.reserveCapacity(digits.count + 8)
        if negative { text.append(UInt8(ascii: "-")) }
        appendLayout(digits: digits, point: n, exponentSign: false, into: &text)
        return .decimal(JSONDecimal(canonicalText: String(decoding: text, as: UTF8.self)))
    }

    /// The Double that holds 0.d1…dk × 10^n exactly in the sense above, or nil.
    private static func exactDouble(digits: UnsafeBufferPointer<UInt8>, point n: Int) -> Double? {
        // Outside these points the nearest Double is 0 or infinity.
        guard n >= -323 && n <= 309 else { return nil }
        let text = String(decoding: digits, as: UTF8.self) + "e" + String(n - digits.count)
        // Double(String) is correctly rounded (as the parser's rare path already relies on).
        guard let value = Double(text), value.isFinite, value != 0 else { return nil }
        // Within the normal range, distinct decimals of at most 15 significant digits round to
        // distinct Doubles (DBL_DIG), so the shortest round-trip form is these digits.
        if digits.count <= 15 && n >= -306 && n <= 308 { return value }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { shortest in
            let (count, point) = shortestDigits(of: value, into: shortest)
            let same = point == n && UnsafeBufferPointer(rebasing: shortest[0..<count]).elementsEqual(digits)
            return same ? value : nil
        }
    }

    /// Appends the base-10 digits of `number` without going through a String.
    private static func appendDecimal(_ number: UInt64, into out: inout [UInt8]) {
        var width = 1
        var rest = number
        while rest >= 10 {
            rest /= 10
            width += 1
        }
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
        var position = out.count - 1
        rest = number
        while rest >= 10 {
            out[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
            position -= 1
        }
        out[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest)
    }
}
