/// Where a ``Gateway`` sends its requests: a provider's base URL, the API it speaks, its key,
/// and the name of the price table its requests are priced with.
public struct Upstream: Sendable {
    /// The API family an upstream speaks.
    public enum Dialect: String, Sendable, Hashable, CaseIterable {
        /// OpenAI-compatible: OpenAI, DeepSeek, OpenRouter and most relays
        /// (`Authorization: Bearer KEY`; chat completions, completions, embeddings, responses).
        case openAI
        /// Anthropic messages (`x-api-key: KEY`, `anthropic-version`).
        case anthropic
    }

    /// The provider key of the price table and of the ledger rows ("openai", "holysheep").
    public var provider: String
    /// The API's base URL, up to and including the version ("https://api.openai.com/v1").
    public var baseURL: String
    /// The API the upstream speaks.
    public var dialect: Dialect
    /// The API key sent with every request; nil to send none (or pass the caller's own header).
    public var apiKey: String?
    /// Header fields sent with every request (an organisation, a relay's own header).
    public var headers: HTTPHeaders

    /// The `anthropic-version` sent when the caller sends none.
    public static let defaultAnthropicVersion = "2023-06-01"

    /// Creates an upstream.
    public init(provider: String, baseURL: String, dialect: Dialect, apiKey: String? = nil, headers: HTTPHeaders = [:]) {
        self.provider = provider
        self.baseURL = baseURL
        self.dialect = dialect
        self.apiKey = apiKey
        self.headers = headers
    }

    /// The URL of an endpoint: the base URL, one `/`, the endpoint's path.
    func url(of endpoint: Endpoint) -> String {
        var base = Substring(baseURL)
        while base.hasSuffix("/") { base = base.dropLast() }
        return "\(base)/\(endpoint.path)"
    }
}

extension Upstream: CustomStringConvertible {
    /// Provider, dialect and base URL; never the key.
    public var description: String {
        "\(provider) (\(dialect.rawValue) API at \(baseURL))"
    }
}
