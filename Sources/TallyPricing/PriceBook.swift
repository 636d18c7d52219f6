public import Foundation
public import TallyUsage

/// Every price table Tally knows: the bundled ones, overridden and extended by the user's.
///
/// Prices a `Usage` exactly: the entry in force at the request's time, the long-context tier
/// its prompt reaches, the provider's credit rate, and the official price of the same usage.
public struct PriceBook: Sendable {
    /// The bytes of one price table and where they came from, for loading.
    public struct Source: Sendable {
        /// A bundled path ("official/openai.json") or the user file's path, used in messages and ledger rows.
        public var origin: String
        /// The file's contents.
        public var bytes: [UInt8]

        /// Creates a source.
        public init(origin: String, bytes: [UInt8]) {
            self.origin = origin
            self.bytes = bytes
        }
    }

    /// The merged tables, one per provider, sorted by provider name.
    public private(set) var tables: [PriceTable]
    private var providerIndex: [String: Int]
    /// Per provider: lowercased model key or alias → model index in its table.
    private var nameIndex: [[String: Int]]

    /// The tables bundled into the build from `pricing/`.
    public static var bundledSources: [Source] {
        EmbeddedFiles.all
            .filter { $0.path.contains("/") && $0.path.hasSuffix(".json") }
            .map { Source(origin: $0.path, bytes: Array($0.contents.utf8)) }
    }

    /// Loads the bundled tables, then the user's tables in order; a later table for the same
    /// provider replaces its metadata (kind, source, billing) and adds or replaces models by key.
    ///
    /// Throws every problem of every table, and cross-table problems (a relay pointing at an
    /// official model that does not exist); nothing is half-loaded.
    public init(includingBundled: Bool = true, userTables: [Source] = []) throws(PriceTableError) {
        var problems: [PriceTableProblem] = []
        var merged: [String: PriceTable] = [:]
        for source in (includingBundled ? Self.bundledSources : []) + userTables {
            do {
                let table = try PriceTableDecoder.decode(source.bytes, origin: source.origin)
                if var existing = merged[table.provider] {
                    existing.kind = table.kind
                    existing.source = table.source
                    existing.updated = table.updated ?? existing.updated
                    existing.creditUSD = table.creditUSD
                    existing.billingNote = table.billingNote
                    existing.origin = table.origin
                    var byKey = Dictionary(existing.models.map { ($0.key, $0) }, uniquingKeysWith: { $1 })
                    for model in table.models { byKey[model.key] = model.withOrigin(table.origin) }
                    existing.models = byKey.values.sorted { $0.key < $1.key }
                    merged[table.provider] = existing
                } else {
                    var table = table
                    table.models = table.models.map { $0.withOrigin(table.origin) }
                    merged[table.provider] = table
                }
            } catch {
                problems += error.problems
            }
        }
        tables = merged.values.sorted { $0.provider < $1.provider }
        providerIndex = Dictionary(uniqueKeysWithValues: tables.enumerated().map { ($1.provider, $0) })
        nameIndex = []
        for table in tables {
            var names: [String: Int] = [:]
            for (index, model) in table.models.enumerated() {
                for name in [model.key] + model.aliases {
                    let key = name.lowercased()
                    if let other = names[key], other != index {
                        problems.append(PriceTableProblem(
                            file: model.origin ?? table.origin, path: PriceTableDecoder.memberPath("$.models", model.key),
                            message: "name \"\(name)\" is also used by model \"\(table.models[other].key)\" of provider \(table.provider)"
                        ))
                    }
                    names[key] = index
                }
            }
            nameIndex.append(names)
        }
        problems += crossTableProblems()
        guard problems.isEmpty else { throw PriceTableError(problems: problems) }
    }

    private func crossTableProblems() -> [PriceTableProblem] {
        var problems: [PriceTableProblem] = []
        for table in tables {
            for model in table.models {
                guard let official = model.official else { continue }
                let path = PriceTableDecoder.memberPath("$.models", model.key) + ".official"
                let file = model.origin ?? table.origin
                guard let target = self.table(provider: official.provider) else {
                    problems.append(PriceTableProblem(file: file, path: path, message: "\"\(official)\" names provider \"\(official.provider)\", which has no price table"))
                    continue
                }
                guard target.kind == .official else {
                    problems.append(PriceTableProblem(file: file, path: path, message: "\"\(official)\" names provider \"\(official.provider)\", which is a \(target.kind.rawValue), not official"))
                    continue
                }
                if self.model(official.model, provider: official.provider) == nil {
                    problems.append(PriceTableProblem(file: file, path: path, message: "\"\(official)\": provider \(official.provider) has no model \"\(official.model)\""))
                }
            }
        }
        return problems
    }

    /// The table of a provider.
    public func table(provider: String) -> PriceTable? {
        providerIndex[provider.lowercased()].map { tables[$0] }
    }

    /// Finds a model in a provider's table: by key, alias, "provider/model", or a dated snapshot
    /// ("gpt-4.1-2025-04-14", "claude-sonnet-4-5-20250929") of a model with no entry of its own.
    public func model(_ name: String, provider: String) -> PriceTable.Model? {
        guard let tableIndex = providerIndex[provider.lowercased()] else { return nil }
        let names = nameIndex[tableIndex]
        var candidate = name.lowercased()
        let prefix = tables[tableIndex].provider + "/"
        if candidate.hasPrefix(prefix), names[candidate] == nil { candidate.removeFirst(prefix.count) }
        if let index = names[candidate] { return tables[tableIndex].models[index] }
        for base in ModelName.snapshotBases(of: candidate) {
            if let index = names[base] { return tables[tableIndex].models[index] }
        }
        return nil
    }

    /// Every (provider, model) that a name can mean: "provider/model" names one provider,
    /// a bare name is looked up in every table.
    public func models(named name: String) -> [(table: PriceTable, model: PriceTable.Model)] {
        if let slash = name.firstIndex(of: "/"), let table = table(provider: String(name[..<slash])),
           let model = model(String(name[name.index(after: slash)...]), provider: table.provider) {
            return [(table, model)]
        }
        return tables.compactMap { table in model(name, provider: table.provider).map { (table, $0) } }
    }

    /// The official model a model stands for: itself in an official table, its `official`
    /// reference in a relay's; nil when a relay's model names none.
    public func officialIdentity(of model: PriceTable.Model, in table: PriceTable) -> (provider: String, model: String)? {
        if table.kind == .official { return (table.provider, model.key) }
        guard let official = model.official, let target = self.model(official.model, provider: official.provider) else { return nil }
        return (official.provider, target.key)
    }

    /// Prices a usage of one model at the provider's price in force at `date`, and at the
    /// official price of the model it stands for; ``charge(provider:requestedModel:returnedModel:at:usage:)``
    /// chooses the model and is what callers use.
    func cost(of usage: Usage, provider: String, model name: String, at date: Date) -> PricingResult {
        guard let table = table(provider: provider) else { return .unpriced(.unknownProvider(provider)) }
        guard let model = model(name, provider: provider) else {
            return .unpriced(.unknownModel(provider: table.provider, model: name))
        }
        guard usage.isPlausible else { return .unpriced(.implausibleUsage) }
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        guard let (cost, entry) = Self.price(usage, model: model, table: table, atSeconds: seconds) else {
            return .unpriced(.noPriceInForce(provider: table.provider, model: model.key, at: ISO8601DateFormatter().string(from: date)))
        }
        guard let cost else { return .unpriced(.costOutOfRange(provider: table.provider, model: model.key)) }
        var listCost: Money?
        var listEntry: PriceEntryRef?
        if table.kind == .official {
            (listCost, listEntry) = (cost, entry)
        } else if let identity = officialIdentity(of: model, in: table),
                  let officialTable = self.table(provider: identity.provider),
                  let officialModel = self.model(identity.model, provider: identity.provider),
                  let (official, reference) = Self.price(usage, model: officialModel, table: officialTable, atSeconds: seconds),
                  let official {
            (listCost, listEntry) = (official, reference)
        }
        return .priced(Charge(cost: cost, listCost: listCost, entry: entry, listEntry: listEntry))
    }

    /// The price entry of a model in force at a time (seconds since 1970), if any.
    public static func entry(of model: PriceTable.Model, atSeconds seconds: Int64) -> PriceEntry? {
        model.prices.last { entry in entry.from.map { $0.secondsSinceEpoch <= seconds } ?? true }
    }

    /// The exact cost of a usage under one model's entry in force, in real USD, rounded once half
    /// to even; nil when no entry is in force, a nil cost when it does not fit a ``Money``.
    static func price(_ usage: Usage, model: PriceTable.Model, table: PriceTable, atSeconds seconds: Int64) -> (Money?, PriceEntryRef)? {
        guard let entry = entry(of: model, atSeconds: seconds) else { return nil }
        let (rates, tier) = entry.rates(forPromptTokens: usage.promptTokens)
        let cost = Self.cost(of: usage, rates: rates, creditUSD: table.creditUSD)
        let reference = PriceEntryRef(
            provider: table.provider, table: model.origin ?? table.origin, model: model.key,
            from: entry.from?.description, tierAbove: tier
        )
        return (cost, reference)
    }

    /// Σ tokens × price over the classes, times the credit rate, divided once and rounded
    /// half to even to the nano-USD; nil when the exact result does not fit a ``Money``
    /// (never a saturated or wrapped amount).
    public static func cost(of usage: Usage, rates: PriceEntry.Rates, creditUSD: Money) -> Money? {
        let prices = rates.effective
        let terms: [(Int64, TokenPrice)] = [
            (usage.input, prices.input), (usage.cachedInput, prices.cachedInput),
            (usage.cacheWrite, prices.cacheWrite), (usage.cacheWrite1h, prices.cacheWrite1h),
            (usage.output, prices.output), (usage.reasoning, prices.reasoning),
        ]
        // Each term is below 2^126; six of them, and the credit rate after, can pass Int128,
        // so every step is checked.
        var sum: Int128 = 0
        for (tokens, price) in terms {
            let (term, productOverflow) = Int128(tokens).multipliedReportingOverflow(by: Int128(price.nanoUSDPerMillion))
            let (next, sumOverflow) = sum.addingReportingOverflow(term)
            guard !productOverflow, !sumOverflow else { return nil }
            sum = next
        }
        let (scaled, overflow) = sum.multipliedReportingOverflow(by: Int128(creditUSD.nanoUSD))
        guard !overflow else { return nil }
        let nanos = Exact.divideRoundingHalfEven(scaled, by: 1_000_000 * Int128(Money.nanosPerUSD))
        return Int64(exactly: nanos).map(Money.init(nanoUSD:))
    }
}

extension PriceTable.Model {
    /// The table file the model was read from, when it differs from its provider's merged origin.
    public var origin: String? { originOverride }

    func withOrigin(_ origin: String) -> PriceTable.Model {
        var copy = self
        copy.originOverride = origin
        return copy
    }
}
