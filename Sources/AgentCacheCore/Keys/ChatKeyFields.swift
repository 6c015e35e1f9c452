/// The fields of a chat request that decide its answer (SPEC §2): what goes into the key
/// besides the namespace and its generation.
public struct ChatKeyFields: Sendable, Equatable {
    /// The LLM provider, e.g. `openai`.
    public var provider: String
    /// The model, e.g. `gpt-4o`.
    public var model: String
    /// The `messages` array as sent (already validated).
    public var messages: JSONValue
    /// Sampling temperature, when sent: a number (`.number`, or `.decimal` when a Double would
    /// round it).
    public var temperature: JSONValue?
    /// Every other generation parameter, when any was sent: the object of `params` merged with
    /// the body's other non-control top-level members (`max_tokens`, `tools`, ...).
    public var params: JSONValue?

    /// Makes the key fields of one request.
    public init(provider: String, model: String, messages: JSONValue, temperature: JSONValue? = nil, params: JSONValue? = nil) {
        self.provider = provider
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.params = params
    }
}
