/// One provider's prices, as read from one JSON file of `pricing/` or of the user's own.
///
/// The format is described in `pricing/README.md` and `pricing/schema.json`.
public struct PriceTable: Sendable, Hashable {
    /// The provider's name ("openai", "holysheep").
    public var provider: String
    /// Whether the provider is an official API or sells another's models.
    public var kind: Kind
    /// Where the prices were read, and when.
    public var source: String
    /// The day the prices were last checked, if the table says.
    public var updated: CalendarDay?
    /// What one unit of the provider's price costs in real USD; one dollar for official tables.
    public var creditUSD: Money
    /// A note on the credit rate ("¥1 buys $1 of credit; 1 CNY = 0.1406 USD").
    public var billingNote: String?
    /// The models, sorted by key.
    public var models: [Model]
    /// Where the table came from: a bundled path ("official/openai.json") or the user file's path.
    public var origin: String

    /// Creates a table from its parts.
    public init(
        provider: String, kind: Kind, source: String, updated: CalendarDay? = nil, creditUSD: Money,
        billingNote: String? = nil, models: [Model], origin: String
    ) {
        self.provider = provider
        self.kind = kind
        self.source = source
        self.updated = updated
        self.creditUSD = creditUSD
        self.billingNote = billingNote
        self.models = models
        self.origin = origin
    }

    /// The kinds of provider a table can describe.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The model maker's own API: its prices are the list prices.
        case official
        /// A relay that passes requests to official APIs and bills in its own credits.
        case relay
        /// A reseller of credits for official APIs.
        case reseller
    }

    /// One model's prices in a table.
    public struct Model: Sendable, Hashable {
        /// The model's key in the table ("gpt-4.1").
        public var key: String
        /// For relays and resellers, the official model this one stands for.
        public var official: OfficialModel?
        /// Other names of the same model ("gpt-4.1-2025-04-14").
        public var aliases: [String]
        /// What the model is for ("chat", "embedding"), if the table says.
        public var mode: String?
        /// Price history, oldest first; the entry in force at a request's time applies.
        public var prices: [PriceEntry]
        /// The file this model came from, set when tables are merged into a `PriceBook`.
        var originOverride: String? = nil
    }

    /// A reference to a model in an official table: "openai/gpt-4.1".
    public struct OfficialModel: Sendable, Hashable, CustomStringConvertible {
        /// The official provider.
        public var provider: String
        /// The model's key (or alias) in that provider's table.
        public var model: String

        /// "provider/model".
        public var description: String { "\(provider)/\(model)" }
    }
}

/// The prices of one model from one date on.
public struct PriceEntry: Sendable, Hashable {
    /// The first UTC day the entry applies; nil for an entry in force from the beginning.
    public var from: CalendarDay?
    /// The prices per token class.
    public var rates: Rates
    /// Long-context tiers, by ascending threshold.
    public var tiers: [Tier]

    /// Prices per token class, in USD per million tokens of the provider's own unit.
    public struct Rates: Sendable, Hashable {
        /// Prompt tokens not read from or written to a cache.
        public var input: TokenPrice
        /// Cache reads; the input price when absent.
        public var cachedInput: TokenPrice?
        /// Cache writes (5-minute); the input price when absent.
        public var cacheWrite: TokenPrice?
        /// 1-hour cache writes; the cache-write price when absent.
        public var cacheWrite1h: TokenPrice?
        /// Completion tokens.
        public var output: TokenPrice
        /// Reasoning tokens; the output price when absent.
        public var reasoning: TokenPrice?

        /// The price each class is actually charged at, defaults applied.
        public var effective: (input: TokenPrice, cachedInput: TokenPrice, cacheWrite: TokenPrice, cacheWrite1h: TokenPrice, output: TokenPrice, reasoning: TokenPrice) {
            let write = cacheWrite ?? input
            return (input, cachedInput ?? input, write, cacheWrite1h ?? write, output, reasoning ?? output)
        }
    }

    /// Prices that replace the base rates for a whole request whose prompt exceeds a threshold.
    public struct Tier: Sendable, Hashable {
        /// The tier applies when the prompt (input, cache reads and writes) has more tokens than this.
        public var above: Int64
        /// The classes this tier reprices; classes it leaves out keep the base price.
        public var input: TokenPrice?
        /// Cache reads in this tier.
        public var cachedInput: TokenPrice?
        /// Cache writes in this tier.
        public var cacheWrite: TokenPrice?
        /// 1-hour cache writes in this tier.
        public var cacheWrite1h: TokenPrice?
        /// Completion tokens in this tier.
        public var output: TokenPrice?
        /// Reasoning tokens in this tier.
        public var reasoning: TokenPrice?
    }

    /// The rates for a request with `promptTokens` prompt tokens, and the tier applied (if any).
    public func rates(forPromptTokens promptTokens: Int64) -> (rates: Rates, tierAbove: Int64?) {
        guard let tier = tiers.last(where: { promptTokens > $0.above }) else { return (rates, nil) }
        var applied = rates
        // A tier replaces a class's effective price, so an absent base class (cached input
        // defaulting to input) follows the tier's input price unless the tier names it.
        let base = rates.effective
        applied.input = tier.input ?? base.input
        applied.cachedInput = tier.cachedInput ?? (rates.cachedInput == nil ? tier.input : nil) ?? base.cachedInput
        applied.cacheWrite = tier.cacheWrite ?? (rates.cacheWrite == nil ? tier.input : nil) ?? base.cacheWrite
        applied.cacheWrite1h = tier.cacheWrite1h ?? (rates.cacheWrite1h == nil ? applied.cacheWrite : nil) ?? base.cacheWrite1h
        applied.output = tier.output ?? base.output
        applied.reasoning = tier.reasoning ?? (rates.reasoning == nil ? tier.output : nil) ?? base.reasoning
        return (applied, tier.above)
    }
}
