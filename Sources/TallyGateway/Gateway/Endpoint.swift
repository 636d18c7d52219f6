public import TallyStream

/// An API endpoint a ``GatewayRequest`` is sent to.
public enum Endpoint: String, Sendable, Hashable, CaseIterable {
    /// OpenAI chat completions (`/chat/completions`).
    case chatCompletions = "chat/completions"
    /// OpenAI legacy completions (`/completions`).
    case completions
    /// OpenAI embeddings (`/embeddings`); never streamed.
    case embeddings
    /// The OpenAI Responses API (`/responses`).
    case responses
    /// Anthropic messages (`/messages`).
    case messages

    /// The path after the base URL, also the ledger's `endpoint` ("chat/completions").
    public var path: String { rawValue }

    /// The wire format of its responses and streams.
    public var wireFormat: WireFormat {
        switch self {
        case .chatCompletions, .completions, .embeddings: .openAIChat
        case .responses: .openAIResponses
        case .messages: .anthropicMessages
        }
    }

    /// The dialect that serves it.
    var dialect: Upstream.Dialect {
        self == .messages ? .anthropic : .openAI
    }

    /// Whether a stream reports usage only when asked with `stream_options.include_usage`.
    var usageIsOptIn: Bool {
        self == .chatCompletions || self == .completions
    }
}
