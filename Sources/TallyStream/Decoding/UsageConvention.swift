/// How a provider counts tokens inside a wire format: the same field names, read by a
/// different rule. Chosen per provider (for a relay, per the official provider its model
/// stands for), never guessed from one response.
public enum UsageConvention: String, Sendable, Hashable, CaseIterable {
    /// The wire format's own rule (DESIGN.md "Usage, exactly"): in OpenAI chat completions,
    /// `completion_tokens` includes the reasoning tokens.
    case standard
    /// xAI chat completions: `completion_tokens` excludes the reasoning tokens
    /// (`total_tokens = prompt + completion + reasoning`); the rest as OpenAI's.
    case xAI
}
