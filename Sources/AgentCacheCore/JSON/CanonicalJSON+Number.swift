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
    /// ECMA-262 Number::toString. Swift's `description` already yields the shortest digit string
    /// that round-trips (choosing the closest when several do), which is exactly the digit
    /// string ECMAScript asks for; only the placement of the decimal point and exponent differs.
    private static func writeShortestDigits(of magnitude: Double, into out: inout [UInt8]) {
        let text = magnitude.description
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { digits in
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
            // The value is 0.d1d2…dk × 10^n, in ECMA-262's terms: k digits, point position n.
            let k = digitCount
            let n = integerDigits - leadingZeros + (exponentNegative ? -exponent : exponent)
            let digitBytes = UnsafeBufferPointer(rebasing: digits[0..<k])

            if k <= n && n <= 21 {
                out.append(contentsOf: digitBytes)
                out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: n - k))
            } else if 0 < n && n <= 21 {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: digitBytes[0..<n]))
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: UnsafeBufferPointer(rebasing: digitBytes[n..<k]))
            } else if -6 < n && n <= 0 {
                out.append(UInt8(ascii: "0"))
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -n))
                out.append(contentsOf: digitBytes)
            } else {
                out.append(digitBytes[0])
                if k > 1 {
                    out.append(UInt8(ascii: "."))
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: digitBytes[1..<k]))
                }
                out.append(UInt8(ascii: "e"))
                let decimalExponent = n - 1
                // ECMAScript always writes the exponent's sign, "+" included.
                out.append(decimalExponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                appendDecimal(UInt64(decimalExponent.magnitude), into: &out)
            }
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
