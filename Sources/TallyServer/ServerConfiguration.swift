public import Foundation
public import TallyGateway
public import TallyLedger
public import TallyPricing

/// What `tally serve` proxies to and who may use it, read from a JSON file or from the environment.
public struct ServerConfiguration: Sendable {
    /// An upstream API and the models it serves.
    public struct UpstreamEntry: Sendable {
        /// The name requests and logs use for it ("openai", "relay").
        public var name: String
        /// The upstream as the gateway calls it; its API key comes from `apiKeyEnvironment`.
        public var upstream: Upstream
        /// The environment variable that held the key (for messages; the key itself is never shown).
        public var apiKeyEnvironment: String?
        /// Model patterns it serves: exact names or with `*` wildcards ("gpt-*"); empty serves none by name.
        public var models: [String]
        /// Whether it takes the models no upstream of its dialect names.
        public var isDefault: Bool

        /// Creates an upstream entry.
        public init(name: String, upstream: Upstream, apiKeyEnvironment: String?, models: [String], isDefault: Bool) {
            self.name = name
            self.upstream = upstream
            self.apiKeyEnvironment = apiKeyEnvironment
            self.models = models
            self.isDefault = isDefault
        }

        /// Whether a pattern of this upstream matches the model.
        public func serves(_ model: String) -> Bool {
            models.contains { ServerConfiguration.matches(model.lowercased(), pattern: $0.lowercased()) }
        }
    }

    /// A key clients present to use the gateway, and the project its requests are attributed to.
    public struct GatewayKey: Sendable {
        /// The key.
        public var key: String
        /// The project.
        public var project: String

        /// Creates a gateway key for a project.
        public init(key: String, project: String) {
            self.key = key
            self.project = project
        }
    }

    /// Where to listen, "HOST:PORT".
    public var listen: String = "127.0.0.1:8787"
    /// The upstreams, in the order routing tries them.
    public var upstreams: [UpstreamEntry] = []
    /// Gateway keys; when any is set, every request must present one (or, if allowed, its own provider key).
    public var gatewayKeys: [GatewayKey] = []
    /// Whether a client may present its own provider key, passed upstream and never stored.
    public var allowClientKeys = false
    /// Budgets, in the format `tally budget check --config` reads: while a budget that covers a
    /// request's project and user is spent (``Budget/isSpent(by:)``), the request is refused with 429.
    public var budgets: [Budget] = []
    /// Origins answered with CORS headers.
    public var corsOrigins: [String] = []
    /// The largest request body accepted (32 MiB).
    public var maximumBodyBytes = 32 << 20

    /// Creates an empty configuration.
    public init() {}

    /// One upstream of each dialect from the environment: `OPENAI_BASE_URL`/`OPENAI_API_KEY`
    /// (provider `openai`) and `ANTHROPIC_BASE_URL`/`ANTHROPIC_API_KEY` (provider `anthropic`).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        func nonEmpty(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        configuration.upstreams = [
            UpstreamEntry(
                name: "openai",
                upstream: Upstream(provider: "openai", baseURL: nonEmpty("OPENAI_BASE_URL") ?? "https://api.openai.com/v1", dialect: .openAI, apiKey: nonEmpty("OPENAI_API_KEY")),
                apiKeyEnvironment: "OPENAI_API_KEY", models: [], isDefault: true
            ),
            UpstreamEntry(
                name: "anthropic",
                upstream: Upstream(provider: "anthropic", baseURL: nonEmpty("ANTHROPIC_BASE_URL") ?? "https://api.anthropic.com/v1", dialect: .anthropic, apiKey: nonEmpty("ANTHROPIC_API_KEY")),
                apiKeyEnvironment: "ANTHROPIC_API_KEY", models: [], isDefault: true
            ),
        ]
        return configuration
    }

    /// The upstream for a model of a dialect: the first whose patterns match, else the dialect's default.
    public func upstream(for model: String, dialect: Upstream.Dialect) -> UpstreamEntry? {
        let candidates = upstreams.filter { $0.upstream.dialect == dialect }
        return candidates.first { $0.serves(model) } ?? candidates.first { $0.isDefault }
    }

    /// `*` matches any run of characters.
    static func matches(_ text: String, pattern: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return text == pattern }
        guard text.hasPrefix(parts[0]), let last = parts.last, text.hasSuffix(last) else { return false }
        var rest = text.dropFirst(parts[0].count).dropLast(last.count)
        guard text.count >= parts[0].count + last.count else { return false }
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return true
    }
}
