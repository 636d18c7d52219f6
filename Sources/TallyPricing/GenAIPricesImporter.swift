import TallyJSON
/// Converts the genai-prices data (pydantic/genai-prices, as JSON) into Tally price tables,
/// keeping its dated price changes as price history and its tiers as long-context tiers.
///
/// What Tally cannot represent (`starts_with`/`contains`/`regex` model matches, time-of-day
/// prices, audio or image prices, batch and service-tier variants) is listed in the summary,
/// never dropped silently.
package enum GenAIPricesImporter {
    /// genai-prices provider ids and the names Tally's tables use for the six official providers.
    package static let defaultProviders: [(source: String, provider: String)] = [
        ("openai", "openai"), ("anthropic", "anthropic"), ("google", "gemini"),
        ("deepseek", "deepseek"), ("x-ai", "xai"), ("mistral", "mistral"),
    ]

    /// genai-prices price keys and the Tally class each fills.
    static let classKeys: [(key: String, column: String)] = [
        ("input_mtok", "input"), ("cache_read_mtok", "cached_input"), ("cache_write_mtok", "cache_write"),
        ("cache_write_1h_mtok", "cache_write_1h"), ("output_mtok", "output"),
    ]

    /// The tables, and what was not imported.
    package struct Result: Sendable {
        /// One official table per provider.
        package var tables: [PriceTable]
        /// Per provider, what the import did.
        package var summaries: [Summary]
    }

    /// What the import did for one provider.
    package struct Summary: Sendable, Hashable {
        /// Tally's name for the provider.
        package var provider: String
        /// Models written to the table.
        package var imported: Int
        /// Models with more than one dated price entry.
        package var withHistory: Int
        /// `equals` clauses written as aliases.
        package var aliases: Int
        /// Match clauses Tally cannot represent, as "model: starts_with \"claude-sonnet-4-5\"".
        package var unrepresentableMatches: [String]
        /// Time-of-day price windows Tally cannot represent, as "model: 00:30:00+00:00–16:30:00+00:00".
        package var timeOfDayWindows: [String]
        /// Price keys not imported (audio, images, searches, …), with how many models had them.
        package var keysNotImported: [String: Int]
        /// Models whose price variants (batch, flex, priority) were not imported.
        package var variantsNotImported: Int
        /// Models skipped, with why.
        package var skipped: [String]
        /// Aliases dropped because another model of the table already has that name.
        package var aliasConflicts: [String]
    }

    /// Imports the given providers (genai-prices ids or Tally names; default the six official ones).
    package static func tables(
        from bytes: some Collection<UInt8>,
        providers: [String] = [],
        source: String,
        updated: CalendarDay? = nil
    ) throws(PriceTableError) -> Result {
        let root: JSONValue
        do {
            root = try JSONReader.parse(bytes)
        } catch {
            throw PriceTableError(problems: [PriceTableProblem(file: source, path: "$", message: "invalid JSON at \(error)")])
        }
        var reader = Reader(file: source)
        guard case .array(let providerValues)? = root["providers"] else {
            throw PriceTableError(problems: [PriceTableProblem(
                file: source, path: "$",
                message: "not genai-prices data: expected an object with a \"providers\" array, found \(root["providers"].map(\.kindDescription) ?? root.kindDescription + " without one")"
            )])
        }
        let wanted = providers.isEmpty ? defaultProviders : providers.map { name in
            defaultProviders.first { $0.source == name || $0.provider == name } ?? (name, name)
        }
        var tables: [PriceTable] = []
        var summaries: [Summary] = []
        for (sourceID, provider) in wanted {
            guard let index = providerValues.firstIndex(where: { $0["id"] == .string(sourceID) }) else {
                reader.problem("$.providers", "no provider with id \"\(sourceID)\"")
                continue
            }
            let path = "$.providers[\(index)]"
            let (table, summary) = reader.table(providerValues[index], at: path, provider: provider, sourceID: sourceID, source: source, updated: updated)
            if let table { tables.append(table) }
            summaries.append(summary)
        }
        guard reader.problems.isEmpty else { throw PriceTableError(problems: reader.problems) }
        return Result(tables: tables, summaries: summaries)
    }

    /// Walks the data, collecting problems with their JSON paths.
    struct Reader {
        let file: String
        var problems: [PriceTableProblem] = []

        mutating func problem(_ path: String, _ message: String) {
            problems.append(PriceTableProblem(file: file, path: path, message: message))
        }

        mutating func table(
            _ value: JSONValue, at path: String, provider: String, sourceID: String, source: String, updated: CalendarDay?
        ) -> (PriceTable?, Summary) {
            var summary = Summary(
                provider: provider, imported: 0, withHistory: 0, aliases: 0, unrepresentableMatches: [], timeOfDayWindows: [],
                keysNotImported: [:], variantsNotImported: 0, skipped: [], aliasConflicts: []
            )
            guard case .array(let modelValues)? = value["models"] else {
                problem(path + ".models", "must be an array of models")
                return (nil, summary)
            }
            var models: [PriceTable.Model] = []
            var names: Set<String> = []
            for (index, modelValue) in modelValues.enumerated() {
                guard case .string(let id)? = modelValue["id"] else {
                    problem("\(path).models[\(index)].id", "must be a string")
                    continue
                }
                names.insert(id.lowercased())
                if var model = model(modelValue, id: id, at: "\(path).models[\(index)]", summary: &summary) {
                    model.aliases = model.aliases.filter { alias in
                        guard alias.lowercased() != id.lowercased() else { return false }
                        return true
                    }
                    models.append(model)
                }
            }
            // An alias that is another model's id, or already claimed, is dropped and reported.
            var claimed = names
            for index in models.indices {
                models[index].aliases = models[index].aliases.filter { alias in
                    if claimed.insert(alias.lowercased()).inserted { return true }
                    summary.aliasConflicts.append("\(models[index].key): \(alias)")
                    return false
                }
                summary.aliases += models[index].aliases.count
            }
            summary.imported = models.count
            summary.withHistory = models.filter { $0.prices.count > 1 }.count
            let table = PriceTable(
                provider: provider, kind: .official,
                source: "\(source), provider \"\(sourceID)\"; converted by `tally prices import genai-prices`",
                updated: updated, creditUSD: Money(nanoUSD: Money.nanosPerUSD), billingNote: nil,
                models: models.sorted { $0.key < $1.key }, origin: "official/\(provider).json"
            )
            return (models.isEmpty ? nil : table, summary)
        }

        mutating func model(_ value: JSONValue, id: String, at path: String, summary: inout Summary) -> PriceTable.Model? {
            let aliases = matchAliases(value["match"], model: id, at: path + ".match", summary: &summary)
            if case .array(let variants)? = value["price_variants"], !variants.isEmpty { summary.variantsNotImported += 1 }
            var entries: [PriceEntry] = []
            let failures = problems.count
            switch value["prices"] {
            case .object?:
                if let entry = entry(value["prices"] ?? .null, from: nil, model: id, at: path + ".prices", summary: &summary) { entries.append(entry) }
            case .array(let conditions)?:
                var previous: CalendarDay?
                var sawDated = false
                for (index, condition) in conditions.enumerated() {
                    let conditionPath = "\(path).prices[\(index)]"
                    var from: CalendarDay?
                    switch condition["constraint"] {
                    case nil, .null?:
                        if sawDated {
                            problem(conditionPath, "a price set without a constraint follows a dated one; it would override every earlier date")
                        }
                    case .object?:
                        let constraint = condition["constraint"] ?? .null
                        switch constraint["_type"] {
                        case .string("StartDateConstraint")?:
                            guard case .string(let text)? = constraint["start_date"], let day = CalendarDay(text) else {
                                problem(conditionPath + ".constraint.start_date", "must be a date of the form YYYY-MM-DD")
                                continue
                            }
                            if let previous, day <= previous {
                                problem(conditionPath + ".constraint.start_date", "\(day) is not after the previous set's \(previous): conditional dates must go forward")
                            }
                            previous = day
                            sawDated = true
                            from = day
                        case .string("TimeOfDateConstraint")?:
                            let start: String = if case .string(let text)? = constraint["start_time"] { text } else { "?" }
                            let end: String = if case .string(let text)? = constraint["end_time"] { text } else { "?" }
                            summary.timeOfDayWindows.append("\(id): \(start)–\(end)")
                            continue
                        case .string(let other)?:
                            problem(conditionPath + ".constraint._type", "unknown constraint type \"\(other)\"")
                            continue
                        default:
                            problem(conditionPath + ".constraint._type", "missing constraint type")
                            continue
                        }
                    default:
                        problem(conditionPath + ".constraint", "must be an object")
                        continue
                    }
                    if let entry = entry(condition["prices"] ?? .null, from: from, model: id, at: conditionPath + ".prices", summary: &summary) {
                        entries.append(entry)
                    }
                }
            default:
                problem(path + ".prices", "must be a price set (object) or a list of conditional price sets")
            }
            guard problems.count == failures else { return nil }
            guard !entries.isEmpty else {
                summary.skipped.removeAll { $0.hasPrefix(id + " from ") || $0.hasPrefix(id + ": no ") }
                summary.skipped.append("\(id): no input_mtok and output_mtok prices in a form Tally represents")
                return nil
            }
            // Dates without a base: the first dated entry stands from its own date.
            return PriceTable.Model(key: id, official: nil, aliases: aliases, mode: nil, prices: entries)
        }

        mutating func entry(_ value: JSONValue, from: CalendarDay?, model: String, at path: String, summary: inout Summary) -> PriceEntry? {
            guard case .object(let members) = value else {
                problem(path, "must be an object of prices")
                return nil
            }
            var base: [String: TokenPrice] = [:]
            var tiers: [Int64: [String: TokenPrice]] = [:]
            for (key, price) in members {
                guard let column = classKeys.first(where: { $0.key == key })?.column else {
                    summary.keysNotImported[key, default: 0] += 1
                    continue
                }
                let pricePath = PriceTableDecoder.memberPath(path, key)
                switch price {
                case .string(let text):
                    if let value = decimal(text, at: pricePath) { base[column] = value }
                case .object:
                    guard case .string("TieredPrices")? = price["_type"], case .string(let baseText)? = price["base"],
                          case .array(let tierValues)? = price["tiers"] else {
                        problem(pricePath, "must be a decimal string or TieredPrices with base and tiers")
                        continue
                    }
                    if let value = decimal(baseText, at: pricePath + ".base") { base[column] = value }
                    for (index, tier) in tierValues.enumerated() {
                        guard case .number(let startText)? = tier["start"], let start = Int64(startText), start > 0,
                              case .string(let tierText)? = tier["price"] else {
                            problem("\(pricePath).tiers[\(index)]", "must have a whole-number start and a decimal-string price")
                            continue
                        }
                        if let value = decimal(tierText, at: "\(pricePath).tiers[\(index)].price") { tiers[start, default: [:]][column] = value }
                    }
                default:
                    problem(pricePath, "price must be a decimal string, found \(price.kindDescription)")
                }
            }
            guard let input = base["input"] else {
                summary.skipped.append("\(model)\(from.map { " from \($0)" } ?? ""): no input_mtok price")
                return nil
            }
            // No output price is not a zero output price: never write one the source did not state.
            guard let output = base["output"] else {
                summary.skipped.append("\(model)\(from.map { " from \($0)" } ?? ""): no output_mtok price")
                return nil
            }
            return PriceEntry(
                from: from,
                rates: .init(
                    input: input, cachedInput: base["cached_input"], cacheWrite: base["cache_write"],
                    cacheWrite1h: base["cache_write_1h"], output: output, reasoning: nil
                ),
                tiers: tiers.keys.sorted().map { above in
                    let t = tiers[above] ?? [:]
                    return PriceEntry.Tier(
                        above: above, input: t["input"], cachedInput: t["cached_input"], cacheWrite: t["cache_write"],
                        cacheWrite1h: t["cache_write_1h"], output: t["output"], reasoning: nil
                    )
                }
            )
        }

        mutating func decimal(_ text: String, at path: String) -> TokenPrice? {
            guard let price = TokenPrice(decimalUSD: text) else {
                problem(path, "\"\(text)\" is not a non-negative decimal with at most 9 decimal places")
                return nil
            }
            return price
        }

        /// Aliases from `equals` clauses (alone or inside `or`); other clauses are reported.
        mutating func matchAliases(_ clause: JSONValue?, model: String, at path: String, summary: inout Summary) -> [String] {
            guard let clause else { return [] }
            switch clause["_type"] {
            case .string("ClauseEquals")?:
                if case .string(let name)? = clause["equals"] { return [name] }
                problem(path + ".equals", "must be a string")
                return []
            case .string("ClauseOr")?:
                guard case .array(let options)? = clause["or_"] else {
                    problem(path + ".or_", "must be an array of clauses")
                    return []
                }
                return options.enumerated().flatMap { index, option in
                    matchAliases(option, model: model, at: "\(path).or_[\(index)]", summary: &summary)
                }
            case .string(let kind)?:
                let detail = (clause.objectMembers ?? []).filter { $0.key != "_type" }.map { "\($0.key) \($0.value.compactText)" }.joined(separator: ", ")
                summary.unrepresentableMatches.append("\(model): \(kind.replacingPrefix("Clause", with: "")) \(detail)")
                return []
            default:
                problem(path + "._type", "missing clause type")
                return []
            }
        }
    }
}

extension JSONValue {
    /// A short rendering for summaries: strings quoted, containers abbreviated.
    var compactText: String {
        switch self {
        case .string(let text): "\"\(text)\""
        case .number(let text): text
        case .bool(let value): String(value)
        case .null: "null"
        case .array(let items): "[\(items.count) items]"
        case .object: "{…}"
        }
    }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
