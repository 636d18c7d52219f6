/// Builds the shipped official tables from two sources: LiteLLM's list (broad, current prices,
/// no dates) and genai-prices (dated price changes and tiers), then applies the hand-kept
/// corrections of `pricing/overrides.json`.
///
/// A model is matched across the sources by all its names (keys, aliases, dated snapshots), so
/// every LiteLLM name of one genai-prices model becomes one model with one price history. Its
/// prices are genai-prices' when it has dated entries for that model, LiteLLM's otherwise,
/// unless an override says otherwise. Models only one source knows are kept and listed.
package enum OfficialTableMerge {
    /// The merged tables, and every model where the sources disagree on the price in force.
    package struct Result: Sendable {
        /// One table per provider.
        package var tables: [PriceTable]
        /// Where the two sources disagree at the merge date, and which value was shipped.
        package var disagreements: [Disagreement]
        /// Names one source has that match no model of the other.
        package var unmatched: [Unmatched]
        /// LiteLLM names of one genai-prices model without dated entries whose LiteLLM prices
        /// differ from the model's, kept as models of their own: "provider: name (kept apart from key)".
        package var mergedWithDifferentPrices: [String]
        /// Dated entries whose cached-input price looks carried over from a neighbour: to be
        /// checked against the provider's announcement (see `cachedPricesToCheck(in:)`).
        package var cachedPricesToCheck: [String]
    }

    /// A current price the two sources disagree on.
    package struct Disagreement: Sendable, Hashable {
        /// The provider.
        package var provider: String
        /// The shipped model key.
        package var model: String
        /// The class, as `PriceDiff` names it.
        package var field: String
        /// LiteLLM's value.
        package var liteLLM: String?
        /// genai-prices' value.
        package var genAIPrices: String?
        /// Which source's value was shipped: "genai-prices", "litellm" or "overrides".
        package var shipped: String
        /// Why that source won for this model.
        package var why: String
    }

    /// A model only one source has.
    package struct Unmatched: Sendable, Hashable {
        /// The provider.
        package var provider: String
        /// "litellm" or "genai-prices".
        package var source: String
        /// The model's key in that source.
        package var model: String
    }

    /// Merges provider by provider; `day` is the date current prices are compared at. Throws
    /// when an override names a model or provider the merge does not have (a stale override).
    package static func merge(
        liteLLM: [PriceTable], genAIPrices: [PriceTable], at day: CalendarDay, source: String,
        overrides: OfficialOverrides = .none
    ) throws(PriceTableError) -> Result {
        var tables: [PriceTable] = []
        var disagreements: [Disagreement] = []
        var unmatched: [Unmatched] = []
        var mergedWithDifferentPrices: [String] = []
        var problems: [PriceTableProblem] = []
        let providers = Set(liteLLM.map(\.provider)).union(genAIPrices.map(\.provider)).sorted()
        for override in overrides.overrides where !providers.contains(override.provider) {
            problems.append(PriceTableProblem(file: overrides.origin, path: override.path + ".provider", message: "no official table for provider \"\(override.provider)\""))
        }
        for provider in providers {
            let own = overrides.overrides.enumerated().filter { $0.element.provider == provider }
            var liteModels = liteLLM.first { $0.provider == provider }?.models ?? []
            for (_, override) in own {
                if case .liteLLMTierAbove(let map) = override.action { liteModels = liteModels.map { renumberTiers($0, map) } }
            }
            let genModels = genAIPrices.first { $0.provider == provider }?.models ?? []
            let shipGenAI = Set(own.map(\.element).filter { $0.action == OfficialOverrides.Action.shipGenAIPrices }.compactMap { $0.model?.lowercased() })
            var shippedFromGenAI: Set<String> = []
            var groups: [Int: [PriceTable.Model]] = [:]
            var models: [PriceTable.Model] = []
            let index = NameIndex(genModels)
            for modelL in liteModels {
                if let g = index.counterpart(of: modelL) {
                    groups[g, default: []].append(modelL)
                } else {
                    models.append(modelL)
                    unmatched.append(Unmatched(provider: provider, source: "litellm", model: modelL.key))
                }
            }
            for (g, modelG) in genModels.enumerated() {
                guard let group = groups[g] else {
                    models.append(modelG)
                    unmatched.append(Unmatched(provider: provider, source: "genai-prices", model: modelG.key))
                    continue
                }
                var members = group
                let primary = members.first { $0.key.lowercased() == modelG.key.lowercased() } ?? members[0]
                let names = Set(([primary] + members + [modelG]).flatMap(Self.names))
                let forced = !shipGenAI.isDisjoint(with: names)
                let dated = modelG.prices.contains { $0.from != nil }
                if !(dated || forced) {
                    // Without a history to keep, a LiteLLM name priced apart stays a model of its own.
                    for member in members where member.key != primary.key && member.prices != primary.prices {
                        models.append(member)
                        mergedWithDifferentPrices.append("\(provider): \(member.key) (kept apart from \(primary.key))")
                    }
                    members.removeAll { $0.key != primary.key && $0.prices != primary.prices }
                }
                var merged = primary
                if dated || forced { merged.prices = modelG.prices }
                if forced { shippedFromGenAI.formUnion(names) }
                var aliases: [String] = []
                for member in [primary] + members.filter({ $0.key != primary.key }) + [modelG] {
                    aliases += [member.key] + member.aliases
                }
                merged.aliases = aliases.filter { $0.lowercased() != primary.key.lowercased() }
                models.append(merged)
                let shipped = dated || forced ? "genai-prices" : "litellm"
                var why = dated ? "genai-prices has its dated price history" : "genai-prices has no dated entries for it: LiteLLM's current list price"
                if forced {
                    let override = own.map(\.element).first { (o: OfficialOverrides.Override) -> Bool in
                        o.action == OfficialOverrides.Action.shipGenAIPrices && names.contains(o.model?.lowercased() ?? "")
                    }
                    why = "override: " + (override?.why ?? "")
                }
                let diff = PriceDiff(
                    [PriceTable(provider: provider, kind: .official, source: "", creditUSD: Money(nanoUSD: Money.nanosPerUSD), models: [primary], origin: "")],
                    [PriceTable(provider: provider, kind: .official, source: "", creditUSD: Money(nanoUSD: Money.nanosPerUSD), models: [modelG], origin: "")],
                    at: day
                )
                for row in diff.rows where row.field != nil {
                    disagreements.append(Disagreement(
                        provider: provider, model: primary.key, field: row.field ?? "", liteLLM: row.a, genAIPrices: row.b,
                        shipped: shipped, why: why
                    ))
                }
            }
            models = uniqueNames(models)
            // Hand-kept prices replace the merged history of the model they name.
            for (_, override) in own {
                guard let name = override.model?.lowercased() else { continue }
                if override.action == OfficialOverrides.Action.shipGenAIPrices, !shippedFromGenAI.contains(name) {
                    problems.append(PriceTableProblem(
                        file: overrides.origin, path: override.path + ".model",
                        message: "provider \(provider) has no model \"\(override.model ?? "")\" that both sources know; remove or rename this override"
                    ))
                    continue
                }
                guard let at = models.firstIndex(where: { Self.names($0).contains(name) }) else {
                    problems.append(PriceTableProblem(
                        file: overrides.origin, path: override.path + ".model",
                        message: "provider \(provider) has no model \"\(override.model ?? "")\" after the merge; remove or rename this override"
                    ))
                    continue
                }
                guard case .prices(let entries) = override.action else { continue }
                models[at].prices = entries
                let key = models[at].key
                disagreements = disagreements.map { d in
                    var d = d
                    if d.provider == provider, d.model == key { (d.shipped, d.why) = ("overrides", "override: " + override.why) }
                    return d
                }
            }
            let tablesOfProvider = [liteLLM.first { $0.provider == provider }, genAIPrices.first { $0.provider == provider }]
            let updated = tablesOfProvider.compactMap { $0?.updated }.max()
            tables.append(PriceTable(
                provider: provider, kind: .official, source: "\(source); provider \"\(provider)\"",
                updated: updated, creditUSD: Money(nanoUSD: Money.nanosPerUSD), billingNote: nil,
                models: models.sorted { $0.key < $1.key }, origin: "official/\(provider).json"
            ))
        }
        guard problems.isEmpty else { throw PriceTableError(problems: problems) }
        return Result(
            tables: tables, disagreements: disagreements, unmatched: unmatched,
            mergedWithDifferentPrices: mergedWithDifferentPrices, cachedPricesToCheck: cachedPricesToCheck(in: tables)
        )
    }

    /// Consecutive price entries where the cached-input price stays while the input price
    /// changes, or where one entry has no cached price and the next has: the pattern of a
    /// source carrying a later cached price back (o3's launch entry). One line each.
    package static func cachedPricesToCheck(in tables: [PriceTable]) -> [String] {
        var lines: [String] = []
        for table in tables {
            for model in table.models {
                for (earlier, later) in zip(model.prices, model.prices.dropFirst()) {
                    let a = earlier.rates, b = later.rates
                    let from = later.from?.description ?? "?"
                    if a.cachedInput == nil, b.cachedInput != nil {
                        lines.append("\(table.provider) \(model.key): no cached_input price before \(from) (so the input price \(a.input.decimalString)), \(b.cachedInput?.decimalString ?? "") from then")
                    } else if let cached = a.cachedInput, a.cachedInput == b.cachedInput, a.input != b.input {
                        lines.append("\(table.provider) \(model.key): cached_input \(cached.decimalString) on both sides of \(from) while input goes \(a.input.decimalString) → \(b.input.decimalString)")
                    }
                }
            }
        }
        return lines
    }

    /// Every name of a model, lowercased: its key and aliases.
    static func names(_ model: PriceTable.Model) -> [String] {
        ([model.key] + model.aliases).map { $0.lowercased() }
    }

    /// Finds the genai-prices model a LiteLLM model is, by any of their names.
    struct NameIndex {
        /// Every name of every model → the first model that has it.
        var byName: [String: Int] = [:]
        /// The undated form of every dated name ("grok-4.20-multi-agent-0309" → "grok-4.20-multi-agent").
        var byBase: [String: Int] = [:]

        init(_ models: [PriceTable.Model]) {
            for (index, model) in models.enumerated() {
                for name in OfficialTableMerge.names(model) {
                    if byName[name] == nil { byName[name] = index }
                    for base in ModelName.snapshotBases(of: name) where byBase[base] == nil { byBase[base] = index }
                }
            }
        }

        /// The same name first, then a dated snapshot of a name, then a name of which it is a snapshot.
        func counterpart(of model: PriceTable.Model) -> Int? {
            let names = OfficialTableMerge.names(model)
            for name in names { if let found = byName[name] { return found } }
            for name in names {
                for base in ModelName.snapshotBases(of: name) { if let found = byName[base] { return found } }
            }
            for name in names { if let found = byBase[name] { return found } }
            return nil
        }
    }

    /// A model whose tiers' thresholds are rewritten by `map` (old `above` → new).
    static func renumberTiers(_ model: PriceTable.Model, _ map: [Int64: Int64]) -> PriceTable.Model {
        var model = model
        model.prices = model.prices.map { entry in
            var entry = entry
            entry.tiers = entry.tiers.map { tier in
                var tier = tier
                tier.above = map[tier.above] ?? tier.above
                return tier
            }
            return entry
        }
        return model
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
