/// Model → US dollars per 1M input and output tokens, dated, for the savings accounting
/// (SPEC §8). The shipped table is `prices.json` beside this file, compiled into the binary
/// (`shipped`); `agentcache serve --prices FILE` merges a file of the same shape over it.
///
/// Shape: `{"as_of": "YYYY-MM-DD", "currency": "USD" (optional), "source": "..." (optional),
/// "models": {"<model>": {"input": <$ per 1M>, "output": <$ per 1M>}, ...}}`.
///
/// A request's model finds its price by name, case-insensitively, after any `provider/` or
/// `models/` prefix: the exact name, else the longest listed name it starts with followed by
/// `-`, `@` or `:` (`gpt-4o-2024-08-06` → `gpt-4o`, `gpt-4o-mini-2024-07-18` → `gpt-4o-mini`,
/// `claude-3-5-sonnet@20240620` → `claude-3-5-sonnet`; `gpt-4` never prices `gpt-4o`).
/// Cost: set path only, a scan of the table for names the table does not hold exactly.
public struct PriceTable: Sendable, Equatable {
    /// The price of one model's tokens.
    public struct Price: Sendable, Equatable {
        /// US dollars per 1M input (prompt) tokens.
        public var inputPerMillion: Double
        /// US dollars per 1M output (completion) tokens.
        public var outputPerMillion: Double

        /// A price in dollars per 1M tokens.
        public init(inputPerMillion: Double, outputPerMillion: Double) {
            self.inputPerMillion = inputPerMillion
            self.outputPerMillion = outputPerMillion
        }

        /// What `input` and `output` tokens cost, in nanodollars (a dollar per 1M tokens is
        /// 1 000 nanodollars per token), rounded to the nearest.
        public func nanodollars(input: Int64, output: Int64) -> Int64 {
            AnswerCost.nanodollars(fromDollars: (Double(input) * inputPerMillion + Double(output) * outputPerMillion) / 1e6)
        }
    }

    /// The date the prices were taken (`YYYY-MM-DD`).
    public let asOf: String
    /// Prices by lower-cased model name.
    public let models: [String: Price]

    /// A table of `models` (names are lower-cased) as of `asOf`.
    public init(asOf: String, models: [String: Price]) {
        self.asOf = asOf
        self.models = Dictionary(models.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
    }

    /// The table shipped in the binary (`Savings/prices.json`).
    public static let shipped: PriceTable = {
        do throws(CacheError) {
            return try PriceTable(json: PackageResources.prices_json)
        } catch {
            // The file is part of the source tree and checked by the tests; a bad one is a build defect.
            fatalError("the shipped price table Savings/prices.json is invalid: \(error.message)")
        }
    }()

    /// Parses a price file. Throws `INVALID_REQUEST` with a one-line reason naming the member
    /// at fault: not JSON, a missing or malformed `as_of`, a currency other than USD, an
    /// unknown member, a price that is not a finite number of at least 0.
    public init(json bytes: [UInt8]) throws(CacheError) {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes, maxDepth: 4)
        } catch {
            throw .invalidRequest("not valid JSON: \(error.description)")
        }
        guard case .object(let members) = root else {
            throw .invalidRequest("expected a JSON object with as_of and models, got \(root.typeName)")
        }
        var asOf: String?
        var models: [String: Price]?
        for member in members {
            switch member.key {
            case "as_of":
                switch member.value {
                case .string(let date) where Self.isDate(date): asOf = date
                case .string(let other): throw .invalidRequest("as_of must be a date YYYY-MM-DD, got \(other.quotedForMessage)")
                case let other: throw .invalidRequest("as_of must be a date YYYY-MM-DD, got \(other.typeName)")
                }
            case "currency":
                guard case .string("USD") = member.value else { throw .invalidRequest("currency must be \"USD\"") }
            case "source":
                guard case .string = member.value else { throw .invalidRequest("source must be a string, got \(member.value.typeName)") }
            case "models":
                guard case .object(let entries) = member.value else {
                    throw .invalidRequest("models must be an object of model -> {input, output}, got \(member.value.typeName)")
                }
                models = try Self.prices(entries)
            default:
                throw .invalidRequest("unknown member \(member.key.quotedForMessage); known: as_of, currency, source, models")
            }
        }
        guard let asOf else { throw .invalidRequest("as_of (the date the prices were taken, YYYY-MM-DD) is required") }
        guard let models else { throw .invalidRequest("models is required") }
        self.init(asOf: asOf, models: models)
    }

    /// This table with `other`'s prices added over it (`other` wins for a model both list) and
    /// `other`'s date.
    public func merging(_ other: PriceTable) -> PriceTable {
        PriceTable(asOf: other.asOf, models: models.merging(other.models) { _, new in new })
    }

    /// The price of `model`: exact name, else the longest listed prefix ending at `-`, `@` or
    /// `:`; nil when none is listed.
    public func price(of model: String) -> Price? {
        var name = model.lowercased()
        if let slash = name.lastIndex(of: "/") { name = String(name[name.index(after: slash)...]) }
        if let exact = models[name] { return exact }
        var best: (length: Int, price: Price)?
        let bytes = Array(name.utf8)
        for (listed, price) in models {
            let length = listed.utf8.count
            guard bytes.count > length, (best?.length ?? 0) < length, bytes.starts(with: listed.utf8) else { continue }
            switch bytes[length] {
            case UInt8(ascii: "-"), UInt8(ascii: "@"), UInt8(ascii: ":"): best = (length, price)
            default: continue
            }
        }
        return best?.price
    }

    private static func prices(_ entries: [JSONMember]) throws(CacheError) -> [String: Price] {
        var prices: [String: Price] = [:]
        for entry in entries {
            guard !entry.key.isEmpty else { throw .invalidRequest("models has an empty model name") }
            guard case .object(let fields) = entry.value else {
                throw .invalidRequest("models.\(entry.key) must be an object {\"input\": <$ per 1M tokens>, \"output\": <$ per 1M tokens>}, got \(entry.value.typeName)")
            }
            var input: Double?
            var output: Double?
            for field in fields {
                guard let amount = field.value.doubleValue, amount.isFinite, amount >= 0 else {
                    throw .invalidRequest("models.\(entry.key).\(field.key) must be a number of dollars per 1M tokens, at least 0; got \(field.value.typeName)")
                }
                switch field.key {
                case "input": input = amount
                case "output": output = amount
                default: throw .invalidRequest("models.\(entry.key) has an unknown member \(field.key.quotedForMessage); known: input, output")
                }
            }
            guard let input, let output else {
                throw .invalidRequest("models.\(entry.key) needs both input and output (dollars per 1M tokens)")
            }
            prices[entry.key] = Price(inputPerMillion: input, outputPerMillion: output)
        }
        return prices
    }

    /// `YYYY-MM-DD` with a month 01-12 and a day 01-31.
    private static func isDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return false }
        for index in [0, 1, 2, 3, 5, 6, 8, 9] where !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            return false
        }
        let month = Int(bytes[5] - 48) * 10 + Int(bytes[6] - 48)
        let day = Int(bytes[8] - 48) * 10 + Int(bytes[9] - 48)
        return (1...12).contains(month) && (1...31).contains(day)
    }
}
