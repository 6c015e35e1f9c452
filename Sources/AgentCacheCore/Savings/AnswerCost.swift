/// What producing a stored answer cost, so every hit on it can add that to the savings
/// (SPEC §8): its tokens and their price in nanodollars (10⁻⁹ USD; a price per 1M tokens with
/// up to three decimals is a whole number of nanodollars per token, so sums stay exact).
///
/// Decided once, at set time (`init(response:model:declaredTokens:declaredCostUSD:prices:)`),
/// and carried with the entry through every tier (`EntryCodec` version 2): a hit adds these two
/// integers and parses nothing.
public struct AnswerCost: Sendable, Equatable {
    /// Tokens the answer cost (input and output).
    public var tokens: Int64
    /// Their price, in nanodollars.
    public var nanodollars: Int64

    /// Nothing known: not an LLM answer, or one that reported no usage.
    public static let zero = AnswerCost(tokens: 0, nanodollars: 0)

    /// The most tokens one answer is taken to cost (a billion: far past any model's output).
    public static let maxTokens: Int64 = 1_000_000_000
    /// The most one answer is taken to cost: 10¹² nanodollars, $1 000. With these bounds a
    /// tenant's sums stay far from `Int64.max` (and they saturate regardless).
    public static let maxNanodollars: Int64 = 1_000_000_000_000

    /// `tokens` tokens for `nanodollars`, each clamped to `0...maxTokens` and
    /// `0...maxNanodollars` (a hostile or absurd usage report cannot inflate the savings).
    public init(tokens: Int64, nanodollars: Int64) {
        self.tokens = min(max(0, tokens), Self.maxTokens)
        self.nanodollars = min(max(0, nanodollars), Self.maxNanodollars)
    }

    /// Whether nothing is known (the entry is written in the version-1 format).
    @inlinable
    public var isZero: Bool { tokens == 0 && nanodollars == 0 }

    /// The price in US dollars.
    public var dollars: Double { Double(nanodollars) / 1e9 }

    /// Nanodollars in `dollars`, rounded to the nearest; negative, NaN and infinite amounts are
    /// 0, amounts past `Int64.max` nanodollars (9.2 billion dollars) clamp there.
    public static func nanodollars(fromDollars dollars: Double) -> Int64 {
        let nanos = (dollars * 1e9).rounded()
        guard nanos.isFinite, nanos > 0 else { return 0 }
        return nanos >= 9.2e18 ? Int64.max : Int64(nanos)
    }

    /// The cost of the answer `response` (JSON bytes as stored) to a request for `model`.
    ///
    /// Tokens: `declaredTokens` (the set's `cache.tokens`) when given, else the provider usage
    /// the response reports (`ProviderUsage`), else 0. Dollars: `declaredCostUSD`
    /// (`cache.cost_usd`) when given, else those tokens priced by `prices` for `model` (or,
    /// when the table does not know `model`, for the `model` the response names): input at
    /// the input price and output at the output price; tokens whose split is unknown (a bare
    /// `total_tokens`, a declared count) at the input price, a lower bound. A model the table
    /// does not know costs 0 dollars, its tokens still count.
    /// Cost: set path only; one validating pass over the response that builds only its
    /// `usage`, `usageMetadata` and `model` members (none when both amounts are declared).
    public init(response: [UInt8], model: String, declaredTokens: Int64?, declaredCostUSD: Double?, prices: PriceTable) {
        if let declaredTokens, let declaredCostUSD {
            self.init(tokens: declaredTokens, nanodollars: Self.nanodollars(fromDollars: declaredCostUSD))
            return
        }
        let usage = response.withUnsafeBytes { ProviderUsage.read(from: $0) }
        let tokens = declaredTokens ?? usage?.totalTokens ?? 0
        if let declaredCostUSD {
            self.init(tokens: tokens, nanodollars: Self.nanodollars(fromDollars: declaredCostUSD))
            return
        }
        guard tokens > 0, let price = prices.price(of: model) ?? usage?.model.flatMap({ prices.price(of: $0) }) else {
            self.init(tokens: tokens, nanodollars: 0)
            return
        }
        // The split is the usage's only when the token count is the usage's.
        let input: Int64
        let output: Int64
        if declaredTokens == nil, let usage, let reportedInput = usage.inputTokens {
            input = min(reportedInput, tokens)
            output = tokens - input
        } else {
            input = tokens
            output = 0
        }
        self.init(tokens: tokens, nanodollars: price.nanodollars(input: input, output: output))
    }
}
