import TallyPricing

/// Text for prices and shares in `tally prices` output.
enum PriceFormatting {
    /// "$2.50", or "" when the table gives no price for the class.
    static func price(_ price: TokenPrice?) -> String {
        price.map { "$" + $0.decimalString } ?? ""
    }

    /// "85.9%" from tenths of a percent, or "" when unknown.
    static func percent(permille: Int64?) -> String {
        guard let permille else { return "" }
        let sign = permille < 0 ? "-" : ""
        let magnitude = permille.magnitude
        return "\(sign)\(magnitude / 10).\(magnitude % 10)%"
    }

    /// The tiers of an entry, as "above 200000: in $6.00 out $22.50".
    static func tiers(_ tiers: [PriceEntry.Tier]) -> String {
        tiers.map { tier in
            let parts: [(String, TokenPrice?)] = [
                ("in", tier.input), ("cached", tier.cachedInput), ("write", tier.cacheWrite),
                ("write1h", tier.cacheWrite1h), ("out", tier.output), ("reasoning", tier.reasoning),
            ]
            return "above \(tier.above): " + parts.compactMap { name, price in price.map { "\(name) $\($0.decimalString)" } }.joined(separator: " ")
        }.joined(separator: "; ")
    }
}

/// The JSON shape of one price entry: decimal strings of USD per million tokens.
struct PriceEntryJSON: Encodable {
    var from: String?
    var input: String
    var cachedInput: String?
    var cacheWrite: String?
    var cacheWrite1h: String?
    var output: String
    var reasoning: String?
    var tiers: [TierJSON]

    struct TierJSON: Encodable {
        var above: Int64
        var input, cachedInput, cacheWrite, cacheWrite1h, output, reasoning: String?

        enum CodingKeys: String, CodingKey {
            case above, input, output, reasoning
            case cachedInput = "cached_input", cacheWrite = "cache_write", cacheWrite1h = "cache_write_1h"
        }
    }

    enum CodingKeys: String, CodingKey {
        case from, input, output, reasoning, tiers
        case cachedInput = "cached_input", cacheWrite = "cache_write", cacheWrite1h = "cache_write_1h"
    }

    init(_ entry: PriceEntry) {
        from = entry.from?.description
        input = entry.rates.input.decimalString
        cachedInput = entry.rates.cachedInput?.decimalString
        cacheWrite = entry.rates.cacheWrite?.decimalString
        cacheWrite1h = entry.rates.cacheWrite1h?.decimalString
        output = entry.rates.output.decimalString
        reasoning = entry.rates.reasoning?.decimalString
        tiers = entry.tiers.map {
            TierJSON(
                above: $0.above, input: $0.input?.decimalString, cachedInput: $0.cachedInput?.decimalString,
                cacheWrite: $0.cacheWrite?.decimalString, cacheWrite1h: $0.cacheWrite1h?.decimalString,
                output: $0.output?.decimalString, reasoning: $0.reasoning?.decimalString
            )
        }
    }
}
