public import Foundation

extension PriceBook {
    /// One provider's price for a model, next to the official price it is compared with.
    public struct Offer: Sendable {
        /// The provider's table.
        public var table: PriceTable
        /// The provider's model.
        public var model: PriceTable.Model
        /// The provider's entry in force.
        public var entry: PriceEntry
        /// The official model it stands for, if known.
        public var official: PriceTable.OfficialModel?
        /// The official entry in force at the same time, if known.
        public var officialEntry: PriceEntry?

        /// The provider's base rates converted to real USD at its credit rate.
        public var effectiveRates: PriceEntry.Rates {
            let credit = table.creditUSD
            let rates = entry.rates
            return PriceEntry.Rates(
                input: rates.input.inUSD(creditUSD: credit),
                cachedInput: rates.cachedInput?.inUSD(creditUSD: credit),
                cacheWrite: rates.cacheWrite?.inUSD(creditUSD: credit),
                cacheWrite1h: rates.cacheWrite1h?.inUSD(creditUSD: credit),
                output: rates.output.inUSD(creditUSD: credit),
                reasoning: rates.reasoning?.inUSD(creditUSD: credit)
            )
        }

        /// The saving against the official price in tenths of a percent (859 = 85.9%),
        /// for one price; nil when there is no official price or it is zero.
        public static func savingPermille(paying price: TokenPrice, against official: TokenPrice?) -> Int64? {
            guard let official, official.nanoUSDPerMillion > 0 else { return nil }
            let difference = Int128(official.nanoUSDPerMillion - price.nanoUSDPerMillion) * 1000
            return Int64(Exact.divideRoundingHalfEven(difference, by: Int128(official.nanoUSDPerMillion)))
        }
    }

    /// Every provider's model that a name means, official first: the official model the name
    /// resolves to, and every relay or reseller model standing for it.
    public func modelsSelling(_ name: String) -> [(table: PriceTable, model: PriceTable.Model)] {
        var identities: Set<PriceTable.OfficialModel> = []
        var unlinked: Set<PriceTable.OfficialModel> = []
        for (table, model) in models(named: name) {
            if let identity = officialIdentity(of: model, in: table) {
                identities.insert(PriceTable.OfficialModel(provider: identity.provider, model: identity.model))
            } else {
                unlinked.insert(PriceTable.OfficialModel(provider: table.provider, model: model.key))
            }
        }
        var found: [(table: PriceTable, model: PriceTable.Model, identity: String)] = []
        for table in tables {
            for model in table.models {
                let identity = officialIdentity(of: model, in: table).map { PriceTable.OfficialModel(provider: $0.provider, model: $0.model) }
                let matches = identity.map(identities.contains)
                    ?? unlinked.contains(PriceTable.OfficialModel(provider: table.provider, model: model.key))
                if matches { found.append((table, model, identity?.description ?? "")) }
            }
        }
        return found.sorted { lhs, rhs in
            if lhs.identity != rhs.identity { return lhs.identity < rhs.identity }
            let lhsOfficial = lhs.table.kind == .official, rhsOfficial = rhs.table.kind == .official
            if lhsOfficial != rhsOfficial { return lhsOfficial }
            return (lhs.table.provider, lhs.model.key) < (rhs.table.provider, rhs.model.key)
        }.map { ($0.table, $0.model) }
    }

    /// The offers of `modelsSelling(name)` whose price is in force at `date`.
    public func offers(for name: String, at date: Date) -> [Offer] {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        return modelsSelling(name).compactMap { table, model in
            guard let entry = Self.entry(of: model, atSeconds: seconds) else { return nil }
            let identity = officialIdentity(of: model, in: table)
            let officialEntry = identity
                .flatMap { self.model($0.model, provider: $0.provider) }
                .flatMap { Self.entry(of: $0, atSeconds: seconds) }
            return Offer(
                table: table, model: model, entry: entry,
                official: identity.map { PriceTable.OfficialModel(provider: $0.provider, model: $0.model) },
                officialEntry: officialEntry
            )
        }
    }
}
