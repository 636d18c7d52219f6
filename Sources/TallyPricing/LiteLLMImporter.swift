import TallyJSON
/// Converts LiteLLM's public price list (`model_prices_and_context_window.json`) into Tally
/// price tables, one per provider.
///
/// Prices per token are converted to USD per million tokens from the numbers' decimal text,
/// never through floating point: `2e-06` becomes `"2.00"`, `1.1e-06` becomes `"1.10"`.
package enum LiteLLMImporter {
    /// The providers `pricing/official/` is generated for.
    package static let defaultProviders = ["openai", "anthropic", "gemini", "deepseek", "xai", "mistral"]

    /// LiteLLM modes that are priced per token and imported.
    static let importedModes = ["chat", "completion", "responses", "embedding"]

    /// LiteLLM's per-token price fields and the class each fills.
    static let classFields: [(field: String, column: String)] = [
        ("input_cost_per_token", "input"),
        ("cache_read_input_token_cost", "cached_input"),
        ("cache_creation_input_token_cost", "cache_write"),
        ("cache_creation_input_token_cost_above_1hr", "cache_write_1h"),
        ("output_cost_per_token", "output"),
        ("output_cost_per_reasoning_token", "reasoning"),
    ]

    /// The tables, and what was left out and why.
    package struct Result: Sendable {
        /// One official table per provider that had importable models.
        package var tables: [PriceTable]
        /// Per provider, what the import did.
        package var summaries: [Summary]
    }

    /// What the import did for one provider.
    package struct Summary: Sendable, Hashable {
        /// The provider.
        package var provider: String
        /// Models written to the table.
        package var imported: Int
        /// Dated snapshots with the same prices as their base model, written as its aliases.
        package var aliased: Int
        /// Entries of another mode (image, audio, …), by mode.
        package var skippedModes: [String: Int]
        /// Entries without a per-token input price.
        package var skippedUnpriced: [String]
        /// Entries skipped because a price field is missing, not a number or negative, as
        /// "model: output_cost_per_token \"lots\" is not a non-negative number".
        package var skippedInvalid: [String] = []
        /// Price fields Tally does not model (batch, priority, audio, …), with how many models had them.
        package var fieldsNotImported: [String: Int]
        /// Prices with more than nine decimals per million tokens, rounded half to even: "model.field: from → to".
        package var rounded: [String]
        /// Models listed both bare and as "provider/model" with different prices; the bare entry is kept.
        package var conflicts: [String] = []
    }

    /// Imports the providers' chat, completion, responses and embedding models.
    package static func tables(
        from bytes: some Collection<UInt8>,
        providers: [String] = defaultProviders,
        source: String,
        updated: CalendarDay? = nil
    ) throws(PriceTableError) -> Result {
        let root: JSONValue
        do {
            root = try JSONReader.parse(bytes)
        } catch {
            throw PriceTableError(problems: [PriceTableProblem(file: source, path: "$", message: "invalid JSON at \(error)")])
        }
        guard case .object(let entries) = root else {
            throw PriceTableError(problems: [PriceTableProblem(file: source, path: "$", message: "must be an object of models, found \(root.kindDescription)")])
        }
        var tables: [PriceTable] = []
        var summaries: [Summary] = []
        for provider in providers {
            var summary = Summary(provider: provider, imported: 0, aliased: 0, skippedModes: [:], skippedUnpriced: [], fieldsNotImported: [:], rounded: [])
            var models: [String: (model: PriceTable.Model, prefixed: Bool)] = [:]
            for (key, value) in entries {
                guard case .string(let owner)? = value["litellm_provider"], owner == provider else { continue }
                let mode: String = if case .string(let text)? = value["mode"] { text } else { "chat" }
                guard importedModes.contains(mode) else {
                    summary.skippedModes[mode, default: 0] += 1
                    continue
                }
                var name = key
                let prefixed = name.hasPrefix(provider + "/")
                if prefixed { name.removeFirst(provider.count + 1) }
                guard let model = model(name, value, mode: mode, summary: &summary) else { continue }
                // LiteLLM sometimes lists a model both bare and prefixed; the bare key wins.
                if let existing = models[name] {
                    if existing.model.prices != model.prices { summary.conflicts.append(name) }
                    if !existing.prefixed || prefixed { continue }
                }
                models[name] = (model, prefixed)
            }
            let folded = foldSnapshots(models.mapValues(\.model))
            summary.aliased = folded.aliased
            summary.imported = folded.models.count
            guard !folded.models.isEmpty else {
                summaries.append(summary)
                continue
            }
            tables.append(PriceTable(
                provider: provider, kind: .official,
                source: "\(source), litellm_provider \"\(provider)\"; converted by `tally prices import litellm`",
                updated: updated, creditUSD: Money(nanoUSD: Money.nanosPerUSD), billingNote: nil,
                models: folded.models.sorted { $0.key < $1.key }, origin: "official/\(provider).json"
            ))
            summaries.append(summary)
        }
        return Result(tables: tables, summaries: summaries)
    }

    private static func model(_ name: String, _ value: JSONValue, mode: String, summary: inout Summary) -> PriceTable.Model? {
        guard case .object(let fields) = value else { return nil }
        var prices: [String: TokenPrice] = [:]
        var tiers: [Int64: [String: TokenPrice]] = [:]
        for (field, fieldValue) in fields where field.contains("cost") {
            let (base, threshold) = splitTier(field)
            guard let column = classFields.first(where: { $0.field == base })?.column else {
                summary.fieldsNotImported[field, default: 0] += 1
                continue
            }
            // A price Tally would use must be a number the source states; anything else skips
            // the model rather than pricing a class at a figure the source never gave.
            guard case .number(let text) = fieldValue else {
                summary.skippedInvalid.append("\(name): \(field) \(fieldValue.compactText) is not a non-negative number")
                return nil
            }
            guard let price = perMillion(text, label: "\(name).\(field)", summary: &summary) else {
                summary.skippedInvalid.append("\(name): \(field) \(text) is not a non-negative number")
                return nil
            }
            if let threshold { tiers[threshold, default: [:]][column] = price } else { prices[column] = price }
        }
        guard let input = prices["input"] else {
            summary.skippedUnpriced.append(name)
            return nil
        }
        // An embedding returns no completion tokens: its output price is zero by nature, not
        // by guess. Every other mode must state one.
        guard let output = prices["output"] ?? (mode == "embedding" ? .zero : nil) else {
            summary.skippedInvalid.append("\(name): no output_cost_per_token")
            return nil
        }
        let rates = PriceEntry.Rates(
            input: input, cachedInput: prices["cached_input"], cacheWrite: prices["cache_write"],
            cacheWrite1h: prices["cache_write_1h"], output: output, reasoning: prices["reasoning"]
        )
        let entryTiers = tiers.keys.sorted().map { above in
            let t = tiers[above] ?? [:]
            return PriceEntry.Tier(
                above: above, input: t["input"], cachedInput: t["cached_input"], cacheWrite: t["cache_write"],
                cacheWrite1h: t["cache_write_1h"], output: t["output"], reasoning: t["reasoning"]
            )
        }
        return PriceTable.Model(key: name, official: nil, aliases: [], mode: mode, prices: [PriceEntry(from: nil, rates: rates, tiers: entryTiers)])
    }

    /// "input_cost_per_token_above_200k_tokens" → ("input_cost_per_token", 200000).
    static func splitTier(_ field: String) -> (base: String, threshold: Int64?) {
        let marker = "_above_"
        guard field.hasSuffix("k_tokens") else { return (field, nil) }
        let body = field.dropLast("k_tokens".count)
        var cut = body.endIndex
        while cut > body.startIndex, body[body.index(before: cut)].isNumber { cut = body.index(before: cut) }
        let digits = body[cut...]
        guard !digits.isEmpty, body[..<cut].hasSuffix(marker), let thousands = Int64(digits) else { return (field, nil) }
        return (String(body[..<cut].dropLast(marker.count)), thousands * 1000)
    }

    /// A per-token price written as a JSON number, as USD per million tokens.
    static func perMillion(_ text: String, label: String, summary: inout Summary) -> TokenPrice? {
        guard var number = DecimalText(text, allowSign: true, allowExponent: true), !number.isNegative else { return nil }
        number.exponent += 6
        if let exact = number.scaled(toDecimals: 9, rounding: .exact) {
            return TokenPrice(nanoUSDPerMillion: exact)
        }
        guard let rounded = number.scaled(toDecimals: 9, rounding: .halfToEven) else { return nil }
        let price = TokenPrice(nanoUSDPerMillion: rounded)
        summary.rounded.append("\(label): \(text) per token → \(price.decimalString) per MTok")
        return price
    }

    /// Turns dated snapshots whose prices equal their base model's into aliases of it.
    static func foldSnapshots(_ models: [String: PriceTable.Model]) -> (models: [PriceTable.Model], aliased: Int) {
        var result = models
        var aliased = 0
        for key in models.keys.sorted() {
            guard let snapshot = models[key] else { continue }
            for base in ModelName.snapshotBases(of: key) where base != key {
                guard var target = result[base], target.prices == snapshot.prices, target.mode == snapshot.mode else { continue }
                target.aliases.append(key)
                result[base] = target
                result[key] = nil
                aliased += 1
                break
            }
        }
        return (Array(result.values), aliased)
    }
}
