/// The tokens of one request, normalised into disjoint classes that are each priced once.
///
/// Providers report overlapping counts (OpenAI's `prompt_tokens` includes cached tokens,
/// Anthropic's `input_tokens` excludes them); decoders map them into these classes as
/// DESIGN.md "Usage, exactly" says. Counts are kept as reported, even when negative or
/// inconsistent; `flags` says what looked wrong.
public struct Usage: Sendable, Hashable, Codable {
    /// Prompt tokens billed at the input price (neither cache read nor cache write).
    public var input: Int64
    /// Prompt tokens read from a prompt cache.
    public var cachedInput: Int64
    /// Prompt tokens written to a prompt cache with the default (5-minute) lifetime.
    public var cacheWrite: Int64
    /// Prompt tokens written to a prompt cache with a 1-hour lifetime.
    public var cacheWrite1h: Int64
    /// Completion tokens that are not reasoning.
    public var output: Int64
    /// Reasoning or thinking tokens the provider reports apart from the output.
    public var reasoning: Int64
    /// What looked inconsistent in the provider's report.
    public var flags: Flags

    /// Creates a usage; every class defaults to zero.
    public init(
        input: Int64 = 0,
        cachedInput: Int64 = 0,
        cacheWrite: Int64 = 0,
        cacheWrite1h: Int64 = 0,
        output: Int64 = 0,
        reasoning: Int64 = 0,
        flags: Flags = []
    ) {
        self.input = input
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.cacheWrite1h = cacheWrite1h
        self.output = output
        self.reasoning = reasoning
        self.flags = flags
    }

    /// The whole prompt: input, cache reads and cache writes. Long-context tiers are chosen on this.
    public var promptTokens: Int64 { input &+ cachedInput &+ cacheWrite &+ cacheWrite1h }

    /// The whole completion: output and reasoning.
    public var completionTokens: Int64 { output &+ reasoning }

    /// Every token of the request.
    public var totalTokens: Int64 { promptTokens &+ completionTokens }

    /// The most tokens of one class a single request is believed to hold: 10⁹, a hundred times
    /// the largest context window sold today. A count above it is a provider's or relay's bug.
    public static let plausibleMaximum: Int64 = 1_000_000_000

    /// Whether every class is between zero and ``plausibleMaximum``.
    ///
    /// An implausible usage is kept as reported but never priced and never summed: its cost is
    /// unknown, not a negative or saturated amount (DESIGN "Usage, exactly").
    public var isPlausible: Bool {
        let range: ClosedRange<Int64> = 0...Self.plausibleMaximum
        return range.contains(input) && range.contains(cachedInput) && range.contains(cacheWrite)
            && range.contains(cacheWrite1h) && range.contains(output) && range.contains(reasoning)
    }

    /// The flags as the ledger records them: the reported ones, plus ``Flags/implausible`` when
    /// a class is negative or above ``plausibleMaximum``.
    public var recordedFlags: Flags {
        isPlausible ? flags : flags.union(.implausible)
    }

    /// Marks on a usage whose reported numbers did not add up.
    public struct Flags: OptionSet, Sendable, Hashable, Codable {
        /// Creates flags from their stored bits.
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// The stored bits, as written to the ledger.
        public let rawValue: Int

        /// A reported count was negative.
        public static let negativeCount = Flags(rawValue: 1 << 0)
        /// Cache reads and writes together exceeded the reported prompt tokens.
        public static let cacheExceedsPrompt = Flags(rawValue: 1 << 1)
        /// Reasoning tokens exceeded the reported completion tokens.
        public static let reasoningExceedsCompletion = Flags(rawValue: 1 << 2)
        /// A class was negative or above ``Usage/plausibleMaximum``: the row is unpriced and left out of sums.
        public static let implausible = Flags(rawValue: 1 << 3)
    }
}

extension Usage {
    /// Adds two usages class by class; flags are united.
    public static func + (lhs: Usage, rhs: Usage) -> Usage {
        Usage(
            input: lhs.input &+ rhs.input,
            cachedInput: lhs.cachedInput &+ rhs.cachedInput,
            cacheWrite: lhs.cacheWrite &+ rhs.cacheWrite,
            cacheWrite1h: lhs.cacheWrite1h &+ rhs.cacheWrite1h,
            output: lhs.output &+ rhs.output,
            reasoning: lhs.reasoning &+ rhs.reasoning,
            flags: lhs.flags.union(rhs.flags)
        )
    }

    /// Builds a usage from an OpenAI-family report, where the prompt count includes cache
    /// reads and writes and the completion count includes reasoning.
    ///
    /// The classes are computed by subtraction and kept as they come out; a negative result
    /// is flagged rather than clamped.
    public static func fromInclusive(
        prompt: Int64,
        cached: Int64,
        cacheWrite: Int64 = 0,
        completion: Int64,
        reasoning: Int64
    ) -> Usage {
        var flags: Flags = []
        if prompt < 0 || cached < 0 || cacheWrite < 0 || completion < 0 || reasoning < 0 {
            flags.insert(.negativeCount)
        }
        if cached &+ cacheWrite > prompt { flags.insert(.cacheExceedsPrompt) }
        if reasoning > completion { flags.insert(.reasoningExceedsCompletion) }
        return Usage(
            input: prompt &- cached &- cacheWrite,
            cachedInput: cached,
            cacheWrite: cacheWrite,
            output: completion &- reasoning,
            reasoning: reasoning,
            flags: flags
        )
    }
}
