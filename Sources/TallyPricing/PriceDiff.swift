/// The differences between two sets of price tables at one date: every model whose price for
/// any token class differs, and every model present on one side only.
package struct PriceDiff: Sendable, Hashable {
    /// One difference.
    package struct Row: Sendable, Hashable {
        /// The provider.
        package var provider: String
        /// The model's key on side A, or on side B when it is only there.
        package var model: String
        /// The model's key on side B when it differs from A's (matched by alias or snapshot).
        package var otherKey: String?
        /// The token class ("input", "output", "tier above 200000 input"), or nil for a model on one side only.
        package var field: String?
        /// Side A's price in real USD per million tokens (decimal string), nil when absent.
        package var a: String?
        /// Side B's price in real USD per million tokens (decimal string), nil when absent.
        package var b: String?
    }

    /// Every difference, sorted by provider and model.
    package var rows: [Row]

    /// Whether the two sides agree on every price.
    package var isEmpty: Bool { rows.isEmpty }

    /// Compares the tables of `a` and `b` at `day`, provider by provider, in real USD per million
    /// tokens (price times the table's `credit_usd`). A model of B matches a model of A by key,
    /// alias or dated snapshot.
    package init(_ a: [PriceTable], _ b: [PriceTable], at day: CalendarDay) {
        var rows: [Row] = []
        let seconds = day.secondsSinceEpoch
        let bByProvider = Dictionary(b.map { ($0.provider, $0) }, uniquingKeysWith: { $1 })
        let aProviders = Set(a.map(\.provider))
        for tableA in a {
            guard let tableB = bByProvider[tableA.provider] else {
                rows += tableA.models.map { Row(provider: tableA.provider, model: $0.key, otherKey: nil, field: nil, a: "present", b: nil) }
                continue
            }
            var matchedB: Set<String> = []
            for modelA in tableA.models {
                guard let modelB = Self.match(modelA, in: tableB) else {
                    rows.append(Row(provider: tableA.provider, model: modelA.key, otherKey: nil, field: nil, a: "present", b: nil))
                    continue
                }
                matchedB.insert(modelB.key)
                let otherKey = modelB.key == modelA.key ? nil : modelB.key
                let fieldsA = PriceBook.entry(of: modelA, atSeconds: seconds).map { Self.fields($0, creditUSD: tableA.creditUSD) } ?? [:]
                let fieldsB = PriceBook.entry(of: modelB, atSeconds: seconds).map { Self.fields($0, creditUSD: tableB.creditUSD) } ?? [:]
                for field in Set(fieldsA.keys).union(fieldsB.keys).sorted(by: Self.fieldOrder) where fieldsA[field] != fieldsB[field] {
                    rows.append(Row(provider: tableA.provider, model: modelA.key, otherKey: otherKey, field: field, a: fieldsA[field], b: fieldsB[field]))
                }
            }
            for modelB in tableB.models where !matchedB.contains(modelB.key) && Self.match(modelB, in: tableA) == nil {
                rows.append(Row(provider: tableB.provider, model: modelB.key, otherKey: nil, field: nil, a: nil, b: "present"))
            }
        }
        for tableB in b where !aProviders.contains(tableB.provider) {
            rows += tableB.models.map { Row(provider: tableB.provider, model: $0.key, otherKey: nil, field: nil, a: nil, b: "present") }
        }
        self.rows = rows.sorted { ($0.provider, $0.model) < ($1.provider, $1.model) }
    }

    /// The model of `table` that `model` is: same key, an alias of either, or a snapshot of a key.
    static func match(_ model: PriceTable.Model, in table: PriceTable) -> PriceTable.Model? {
        let names = Set(([model.key] + model.aliases).map { $0.lowercased() })
        if let exact = table.models.first(where: { $0.key.lowercased() == model.key.lowercased() }) { return exact }
        if let aliased = table.models.first(where: { !names.isDisjoint(with: ([$0.key] + $0.aliases).map { $0.lowercased() }) }) {
            return aliased
        }
        for base in ModelName.snapshotBases(of: model.key.lowercased()) {
            if let found = table.models.first(where: { $0.key.lowercased() == base }) { return found }
        }
        return nil
    }

    static let classOrder = ["input", "cached_input", "cache_write", "cache_write_1h", "output", "reasoning"]

    static func fieldOrder(_ lhs: String, _ rhs: String) -> Bool {
        func key(_ field: String) -> (Int64, Int) {
            let parts = field.split(separator: " ")
            let above = parts.count == 4 ? Int64(parts[2]) ?? 0 : 0
            return (above, classOrder.firstIndex(of: String(parts.last ?? "")) ?? classOrder.count)
        }
        return key(lhs) < key(rhs)
    }

    /// The effective price of every class, base and per tier, in real USD (the table's price
    /// times its credit rate), as decimal strings.
    static func fields(_ entry: PriceEntry, creditUSD: Money) -> [String: String] {
        var fields: [String: String] = [:]
        func add(_ prefix: String, _ rates: PriceEntry.Rates) {
            let e = rates.effective
            for (name, price) in zip(classOrder, [e.input, e.cachedInput, e.cacheWrite, e.cacheWrite1h, e.output, e.reasoning]) {
                fields[prefix + name] = price.inUSD(creditUSD: creditUSD).decimalString
            }
        }
        add("", entry.rates)
        for tier in entry.tiers {
            add("tier above \(tier.above) ", entry.rates(forPromptTokens: tier.above + 1).rates)
        }
        return fields
    }
}
