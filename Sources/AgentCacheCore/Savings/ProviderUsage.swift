/// The token counts an LLM provider reports in its answer, read from a stored response:
///
/// - OpenAI chat completions: `usage` `{prompt_tokens, completion_tokens, total_tokens}`;
///   the Responses API and Anthropic: `usage` `{input_tokens, output_tokens}`;
/// - Gemini: `usageMetadata` `{promptTokenCount, candidatesTokenCount, thoughtsTokenCount,
///   totalTokenCount}`;
///
/// with the answer's own top-level `model` when it names one. A response stored as a JSON
/// string holding such an object (what the published client's `cachedLLMCall` stores) is read
/// through the string. Counts are whole numbers from 0 to 2⁵³; anything else is ignored.
public struct ProviderUsage: Sendable, Equatable {
    /// Input (prompt) tokens, when the usage reports them apart.
    public var inputTokens: Int64?
    /// Output tokens (completion, candidates and thoughts), when reported apart.
    public var outputTokens: Int64?
    /// All tokens: the reported total, else input plus output.
    public var totalTokens: Int64
    /// The model the answer names (`"model": "gpt-4o-2024-08-06"`), if any.
    public var model: String?

    /// Counts as a provider reported them.
    public init(inputTokens: Int64?, outputTokens: Int64?, totalTokens: Int64, model: String?) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.totalTokens = totalTokens
        self.model = model
    }

    /// The members read; every other member of the response is validated only, never built.
    private static let members = ["usage", "usageMetadata", "model"]

    /// The usage `response` reports, or nil when it reports none (not an object, no usage
    /// member, or no count in it). Cost: one validating pass over `response` building only the
    /// three members; a string response costs one decode of the string first.
    public static func read(from response: UnsafeRawBufferPointer) -> ProviderUsage? {
        var start = 0
        while start < response.count, isWhitespace(response[start]) { start += 1 }
        guard start < response.count else { return nil }
        switch response[start] {
        case UInt8(ascii: "{"):
            return readObject(response)
        case UInt8(ascii: "\""):
            guard case .string(let text)? = try? JSONParser.parse(response, maxDepth: 1) else { return nil }
            let inner = Array(text.utf8)
            guard inner.first(where: { !isWhitespace($0) }) == UInt8(ascii: "{") else { return nil }
            return inner.withUnsafeBytes { readObject($0) }
        default:
            return nil
        }
    }

    private static func readObject(_ bytes: UnsafeRawBufferPointer) -> ProviderUsage? {
        guard
            let members = try? JSONParser.parseObjectWithSpans(
                bytes, parsingOnly: Self.members, skippedMaxDepth: CacheRequestParser.maxResponseDepth
            )
        else { return nil }
        var usage: ProviderUsage?
        var model: String?
        for member in members {
            switch (member.key, member.value) {
            case ("usage", let value?): usage = usage ?? openAIOrAnthropic(value)
            case ("usageMetadata", let value?): usage = usage ?? gemini(value)
            case ("model", .string(let name)?): model = name
            default: break
            }
        }
        usage?.model = model
        return usage
    }

    /// OpenAI (`prompt_tokens`/`completion_tokens`/`total_tokens`) or Anthropic and the OpenAI
    /// Responses API (`input_tokens`/`output_tokens`).
    private static func openAIOrAnthropic(_ usage: JSONValue) -> ProviderUsage? {
        let input = count(usage["prompt_tokens"]) ?? count(usage["input_tokens"])
        let output = count(usage["completion_tokens"]) ?? count(usage["output_tokens"])
        return make(input: input, output: output, total: count(usage["total_tokens"]))
    }

    /// Gemini's `usageMetadata`: output is everything past the prompt (candidates and thoughts).
    private static func gemini(_ metadata: JSONValue) -> ProviderUsage? {
        let input = count(metadata["promptTokenCount"])
        let candidates = count(metadata["candidatesTokenCount"])
        let thoughts = count(metadata["thoughtsTokenCount"])
        let output = candidates.map { $0 + (thoughts ?? 0) } ?? thoughts
        return make(input: input, output: output, total: count(metadata["totalTokenCount"]))
    }

    private static func make(input: Int64?, output: Int64?, total: Int64?) -> ProviderUsage? {
        let sum = (input ?? 0) + (output ?? 0)
        let total = max(total ?? sum, 0)
        guard total > 0 || input != nil || output != nil else { return nil }
        // A total below its parts is taken as the parts' sum.
        return ProviderUsage(inputTokens: input, outputTokens: output, totalTokens: max(total, sum), model: nil)
    }

    /// A token count: a whole number from 0 to 2⁵³.
    private static func count(_ value: JSONValue?) -> Int64? {
        guard let number = value?.doubleValue, number >= 0, number <= 9_007_199_254_740_992, number.rounded() == number else { return nil }
        return Int64(number)
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
