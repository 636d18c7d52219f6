/// The wire formats Tally decodes: which provider API a stream or response body speaks.
public enum WireFormat: String, Sendable, Hashable, CaseIterable {
    /// OpenAI chat completions, and the variants DeepSeek, OpenRouter and most relays speak.
    case openAIChat
    /// Anthropic messages.
    case anthropicMessages
    /// The OpenAI Responses API.
    case openAIResponses
}
