/// A JSON number that no Double holds exactly (SPEC §2), kept as its exact canonical decimal:
/// the significant digits without leading or trailing zeros, laid out like ECMAScript's
/// Number::toString (plain up to 21 integer digits or 6 leading fraction zeros, else
/// `d.ddde-7` / `d.ddde400` with a lowercase `e` and no `+`), `-` only for negative values.
/// Equal values have equal text and the text denotes exactly the value, so equality is
/// text equality. Made only by `JSONParser`.
public struct JSONDecimal: Sendable, Equatable, CustomStringConvertible {
    /// The canonical decimal text (ASCII), e.g. `9007199254740993` or `1e400`.
    public let text: String

    internal init(canonicalText: String) {
        text = canonicalText
    }

    /// The nearest Double (correctly rounded; ±infinity or ±0 outside a Double's range).
    /// One string conversion.
    public var doubleValue: Double {
        // The text is valid decimal syntax by construction, which Double(String) always accepts.
        Double(text) ?? .nan
    }

    public var description: String { text }

    /// Text equality is value equality, because the text is canonical; O(length).
    public static func == (lhs: JSONDecimal, rhs: JSONDecimal) -> Bool {
        lhs.text.jsonBytesEqual(rhs.text)
    }
}
