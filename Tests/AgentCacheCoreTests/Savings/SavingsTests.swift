import AgentCacheCore
import Foundation
import Testing

/// What a stored answer cost (SPEC §8): provider usage, declared controls, the price table.
@Suite("Savings: provider usage, prices, answer cost")
struct SavingsTests {
    static func usage(_ json: String) -> ProviderUsage? {
        Array(json.utf8).withUnsafeBytes { ProviderUsage.read(from: $0) }
    }

    static func cost(_ response: String, model: String = "gpt-4o", tokens: Int64? = nil, costUSD: Double? = nil, prices: PriceTable = .shipped) -> AnswerCost {
        AnswerCost(response: Array(response.utf8), model: model, declaredTokens: tokens, declaredCostUSD: costUSD, prices: prices)
    }

    @Test("OpenAI, Anthropic and Gemini usage shapes are read; the answer's model rides along")
    func providerShapes() {
        #expect(
            Self.usage(#"{"id":"chatcmpl-1","model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}"#)
                == ProviderUsage(inputTokens: 9, outputTokens: 4, totalTokens: 13, model: "gpt-4o-2024-08-06")
        )
        #expect(Self.usage(#"{"usage":{"total_tokens":13}}"#) == ProviderUsage(inputTokens: nil, outputTokens: nil, totalTokens: 13, model: nil))
        #expect(Self.usage(#"{"usage":{"prompt_tokens":9,"completion_tokens":4}}"#)?.totalTokens == 13)
        #expect(
            Self.usage(#"{"type":"message","model":"claude-3-5-sonnet-20241022","content":[{"type":"text","text":"4"}],"usage":{"input_tokens":10,"output_tokens":3}}"#)
                == ProviderUsage(inputTokens: 10, outputTokens: 3, totalTokens: 13, model: "claude-3-5-sonnet-20241022")
        )
        #expect(
            Self.usage(#"{"candidates":[{"content":{"parts":[{"text":"4"}]}}],"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":3,"thoughtsTokenCount":2,"totalTokenCount":13}}"#)
                == ProviderUsage(inputTokens: 8, outputTokens: 5, totalTokens: 13, model: nil)
        )
    }

    @Test("a response stored as a JSON string holding the provider's answer is read through the string")
    func stringWrapped() {
        let inner = #"{"model":"gpt-4o","usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}"#
        let wrapped = "\"" + inner.replacingOccurrences(of: "\"", with: "\\\"") + "\""
        #expect(Self.usage(wrapped)?.totalTokens == 13)
        #expect(Self.usage(#""just text""#) == nil)
    }

    @Test("no usage, or counts that are not whole numbers from 0, give none", arguments: [
        #"{"answer":"4"}"#, #""4""#, "[1,2]", "42", #"{"usage":"13"}"#, #"{"usage":{"total_tokens":-1}}"#,
        #"{"usage":{"total_tokens":1.5}}"#, #"{"usage":{}}"#, "null",
    ])
    func noUsage(response: String) {
        #expect(Self.usage(response) == nil)
    }

    @Test("only the usage members are built: a response nested past the key depth limit still reports its usage")
    func deepResponse() {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(Self.usage(#"{"choices":\#(deep),"usage":{"total_tokens":13}}"#)?.totalTokens == 13)
    }

    @Test("the shipped table loads with its date and prices models by exact name or dated variant")
    func shippedTable() throws {
        let table = PriceTable.shipped
        #expect(table.asOf.count == 10)
        let gpt4o = PriceTable.Price(inputPerMillion: 2.5, outputPerMillion: 10)
        #expect(table.price(of: "gpt-4o") == gpt4o)
        #expect(table.price(of: "GPT-4o-2024-08-06") == gpt4o)
        #expect(table.price(of: "openai/gpt-4o") == gpt4o)
        #expect(table.price(of: "gpt-4o-mini-2024-07-18") == PriceTable.Price(inputPerMillion: 0.15, outputPerMillion: 0.6))
        #expect(table.price(of: "claude-3-5-sonnet@20240620")?.inputPerMillion == 3)
        #expect(table.price(of: "models/gemini-1.5-flash-002")?.inputPerMillion == 0.075)
        // A listed name is a prefix only up to a separator: gpt-4 does not price gpt-4o-like names.
        #expect(table.price(of: "gpt-4omega") == nil)
        #expect(table.price(of: "file-delivery") == nil)
    }

    @Test("13 OpenAI tokens of gpt-4o (9 in, 4 out) cost 62 500 nanodollars by the shipped table")
    func openAICost() {
        let response = #"{"model":"gpt-4o","usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}"#
        #expect(Self.cost(response) == AnswerCost(tokens: 13, nanodollars: 62_500))
        // A bare total is priced at the input price (a lower bound).
        #expect(Self.cost(#"{"usage":{"total_tokens":13}}"#) == AnswerCost(tokens: 13, nanodollars: 32_500))
        // The request's model is unknown: the answer's own model prices it.
        #expect(Self.cost(response, model: "my-router") == AnswerCost(tokens: 13, nanodollars: 62_500))
        // Neither is known: the tokens count, the dollars are 0.
        #expect(Self.cost(#"{"usage":{"total_tokens":13}}"#, model: "my-router") == AnswerCost(tokens: 13, nanodollars: 0))
        #expect(Self.cost(#"{"answer":"4"}"#) == .zero)
    }

    @Test("cache.tokens and cache.cost_usd override what the response reports")
    func declared() {
        let response = #"{"usage":{"prompt_tokens":9,"completion_tokens":4}}"#
        #expect(Self.cost(response, tokens: 100, costUSD: 0.01) == AnswerCost(tokens: 100, nanodollars: 10_000_000))
        #expect(Self.cost(#""4""#, tokens: 100) == AnswerCost(tokens: 100, nanodollars: 250_000))
        #expect(Self.cost(response, costUSD: 0.5) == AnswerCost(tokens: 13, nanodollars: 500_000_000))
        #expect(Self.cost(#""4""#, model: "file-delivery", costUSD: 0.25) == AnswerCost(tokens: 0, nanodollars: 250_000_000))
    }

    @Test("a price file merges over the shipped table; its date wins")
    func merging() throws {
        let file = try PriceTable(json: Array(#"{"as_of":"2026-01-02","models":{"gpt-4o":{"input":1,"output":2},"my-model":{"input":0.5,"output":0.5}}}"#.utf8))
        let merged = PriceTable.shipped.merging(file)
        #expect(merged.asOf == "2026-01-02")
        #expect(merged.price(of: "gpt-4o") == PriceTable.Price(inputPerMillion: 1, outputPerMillion: 2))
        #expect(merged.price(of: "my-model-v2")?.outputPerMillion == 0.5)
        #expect(merged.price(of: "claude-3-haiku") == PriceTable.shipped.price(of: "claude-3-haiku"))
    }

    @Test("a bad price file is refused with the member at fault", arguments: [
        ("{", "not valid JSON"),
        ("[]", "expected a JSON object"),
        (#"{"models":{}}"#, "as_of"),
        (#"{"as_of":"yesterday","models":{}}"#, "as_of must be a date YYYY-MM-DD, got \"yesterday\""),
        (#"{"as_of":"2026-13-01","models":{}}"#, "as_of must be a date"),
        (#"{"as_of":"2026-01-01"}"#, "models is required"),
        (#"{"as_of":"2026-01-01","currency":"EUR","models":{}}"#, "currency must be \"USD\""),
        (#"{"as_of":"2026-01-01","modles":{}}"#, "unknown member \"modles\""),
        (#"{"as_of":"2026-01-01","models":{"gpt-4o":2.5}}"#, "models.gpt-4o must be an object"),
        (#"{"as_of":"2026-01-01","models":{"gpt-4o":{"input":2.5}}}"#, "models.gpt-4o needs both input and output"),
        (#"{"as_of":"2026-01-01","models":{"gpt-4o":{"input":-1,"output":1}}}"#, "models.gpt-4o.input must be a number"),
        (#"{"as_of":"2026-01-01","models":{"gpt-4o":{"input":1,"output":"1"}}}"#, "models.gpt-4o.output must be a number"),
        (#"{"as_of":"2026-01-01","models":{"gpt-4o":{"input":1,"output":1,"cached":1}}}"#, "unknown member \"cached\""),
    ])
    func badFiles(json: String, message: String) {
        do {
            _ = try PriceTable(json: Array(json.utf8))
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.code == .invalidRequest)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test("dollars become nanodollars rounded; nonsense becomes 0")
    func nanodollars() {
        #expect(AnswerCost.nanodollars(fromDollars: 0.0000625) == 62_500)
        #expect(AnswerCost.nanodollars(fromDollars: -1) == 0)
        #expect(AnswerCost.nanodollars(fromDollars: .nan) == 0)
        #expect(AnswerCost.nanodollars(fromDollars: .infinity) == 0)
        #expect(AnswerCost.nanodollars(fromDollars: 1e30) == Int64.max)
    }
}
