/// Builds the shipped official tables from two sources: LiteLLM's list (broad, current prices,
/// no dates) and genai-prices (dated price changes and tiers).
///
/// For a model both sources know, the shipped prices are genai-prices' when it has dated
/// entries for that model, LiteLLM's otherwise. Models only one source knows are kept.
public enum OfficialTableMerge {
    /// The merged tables, and every model where the sources disagree on the price in force.
    public struct Result: Sendable {
        /// One table per provider.
        public var tables: [PriceTable]
        /// Where the two sources disagree at the merge date, and which value was shipped.
        public var disagreements: [Disagreement]
    }

    /// A current price the two sources disagree on.
    public struct Disagreement: Sendable, Hashable {
        /// The provider.
        public var provider: String
        /// The shipped model key.
        public var model: String
        /// The class, as `PriceDiff` names it.
        public var field: String
        /// LiteLLM's value.
        public var liteLLM: String?
        /// genai-prices' value.
        public var genAIPrices: String?
        /// Which source's value was shipped: "genai-prices" or "litellm".
        public var shipped: String
    }

    /// Merges provider by provider; `day` is the date current prices are compared at.
    public static func merge(liteLLM: [PriceTable], genAIPrices: [PriceTable], at day: CalendarDay, source: String) -> Result {
        var tables: [PriceTable] = []
        var disagreements: [Disagreement] = []
        let providers = Set(liteLLM.map(\.provider)).union(genAIPrices.map(\.provider)).sorted()
        for provider in providers {
            let l = liteLLM.first { $0.provider == provider }
            let g = genAIPrices.first { $0.provider == provider }
            var models: [PriceTable.Model] = []
            var usedG: Set<String> = []
            for modelL in l?.models ?? [] {
                guard let g, let modelG = PriceDiff.match(modelL, in: g), !usedG.contains(modelG.key) else {
                    models.append(modelL)
                    continue
                }
                usedG.insert(modelG.key)
                let dated = modelG.prices.contains { $0.from != nil }
                var merged = modelL
                if dated { merged.prices = modelG.prices }
                merged.aliases = modelL.aliases + ([modelG.key] + modelG.aliases).filter { $0.lowercased() != modelL.key.lowercased() }
                models.append(merged)
                let diff = PriceDiff(
                    [PriceTable(provider: provider, kind: .official, source: "", creditUSD: .zero, models: [modelL], origin: "")],
                    [PriceTable(provider: provider, kind: .official, source: "", creditUSD: .zero, models: [modelG], origin: "")],
                    at: day
                )
                for row in diff.rows where row.field != nil {
                    disagreements.append(Disagreement(
                        provider: provider, model: modelL.key, field: row.field ?? "", liteLLM: row.a, genAIPrices: row.b,
                        shipped: dated ? "genai-prices" : "litellm"
                    ))
                }
            }
            for modelG in g?.models ?? [] where !usedG.contains(modelG.key) {
                models.append(modelG)
            }
            models = uniqueNames(models)
            let updated = [l?.updated, g?.updated].compactMap { $0 }.max()
            tables.append(PriceTable(
                provider: provider, kind: .official, source: "\(source); provider \"\(provider)\"",
                updated: updated, creditUSD: Money(nanoUSD: Money.nanosPerUSD), billingNote: nil,
                models: models.sorted { $0.key < $1.key }, origin: "official/\(provider).json"
            ))
        }
        return Result(tables: tables, disagreements: disagreements)
    }

    /// Drops aliases that repeat a key or an earlier model's name, so the merged table loads.
    static func uniqueNames(_ models: [PriceTable.Model]) -> [PriceTable.Model] {
        var claimed = Set(models.map { $0.key.lowercased() })
        return models.map { model in
            var model = model
            var seen: Set<String> = []
            model.aliases = model.aliases.filter { alias in
                let name = alias.lowercased()
                guard seen.insert(name).inserted else { return false }
                return claimed.insert(name).inserted
            }
            return model
        }
    }
}
