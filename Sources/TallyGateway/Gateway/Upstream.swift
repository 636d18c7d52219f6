public import HTTPTypes

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
    /// The API's base URL, up to and including the version ("https://api.openai.com/v1"); a
    /// URL with no path means the host's `/v1` (see ``apiRoot``).
    public var baseURL: String
    /// The API the upstream speaks.
    public var dialect: Dialect
    /// The API key sent with every request; nil to send none (or pass the caller's own header).
    public var apiKey: String?
    /// Header fields sent with every request (an organisation, a relay's own header).
    public var headers: HTTPFields

    /// The `anthropic-version` sent when the caller sends none.
    public static let defaultAnthropicVersion = "2023-06-01"

    /// Creates an upstream.
    public init(provider: String, baseURL: String, dialect: Dialect, apiKey: String? = nil, headers: HTTPFields = [:]) {
        self.provider = provider
        self.baseURL = baseURL
        self.dialect = dialect
        self.apiKey = apiKey
        self.headers = headers
    }

    /// OpenAI's own API, priced with the `openai` table.
    public static func openAI(apiKey: String?) -> Upstream {
        Upstream(provider: "openai", baseURL: "https://api.openai.com/v1", dialect: .openAI, apiKey: apiKey)
    }

    /// Anthropic's own API, priced with the `anthropic` table.
    public static func anthropic(apiKey: String?) -> Upstream {
        Upstream(provider: "anthropic", baseURL: "https://api.anthropic.com/v1", dialect: .anthropic, apiKey: apiKey)
    }

    /// The URL endpoint paths are appended to: ``baseURL`` without trailing slashes, with `/v1`
    /// added when it has no path. So both forms work for either dialect: the host alone, as the
    /// Anthropic SDK's `ANTHROPIC_BASE_URL` is written (`https://api.anthropic.com`), and the URL
    /// with its version, as the OpenAI SDK's `OPENAI_BASE_URL` is (`https://api.openai.com/v1`).
    /// Any other path is kept as given (`https://openrouter.ai/api/v1`).
    public var apiRoot: String {
        var base = Substring(baseURL)
        while base.hasSuffix("/") { base = base.dropLast() }
        var authority = base[...]
        if let colon = base.firstIndex(of: ":"), base[colon...].hasPrefix("://") {
            authority = base[base.index(colon, offsetBy: 3)...]
        }
        let hasPath = authority.contains { $0 == "/" || $0 == "?" || $0 == "#" }
        return hasPath ? String(base) : base + "/v1"
    }

    /// The URL of an endpoint: the API root, one `/`, the endpoint's path.
    func url(of endpoint: Endpoint) -> String {
        "\(apiRoot)/\(endpoint.path)"
    }
}

extension Upstream: CustomStringConvertible {
    /// Provider, dialect and base URL; never the key.
    public var description: String {
        "\(provider) (\(dialect.rawValue) API at \(apiRoot))"
    }
}
