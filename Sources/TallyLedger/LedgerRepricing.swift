public import Foundation
public import TallyPricing
import TallyUsage

extension Ledger {
    /// What a re-pricing found and did.
    public struct RepriceSummary: Sendable, Hashable {
        /// Request rows in the range.
        public var examined: Int = 0
        /// Rows whose cost or list cost under the new prices differs from what the ledger holds
        /// for them (the row plus its earlier adjustments).
        public var changed: Int = 0
        /// Adjustment rows appended (0 on a dry run).
        public var appended: Int = 0
        /// Rows the new prices cannot price; left as they are.
        public var unpriced: Int = 0
        /// The sum of the cost differences.
        public var costDelta = Money.zero
        /// The sum of the list-cost differences.
        public var listCostDelta = Money.zero
    }

    /// Re-prices the request rows sent in `range` with `prices` and appends one `adjustment`
    /// row per request whose amounts changed: the difference in cost and list cost, pointing at
    /// the original row and dated like it, so a period's totals become what the new prices give.
    ///
    /// Rows are never updated. What a row already holds includes its earlier adjustments, so
    /// re-pricing twice with the same prices appends nothing the second time. Adjustments are
    /// appended in batches of `batchSize`, each batch in one transaction: a crash leaves a whole
    /// batch or none of it, and running again completes the rest.
    public func reprice(
        range: Range<Date>,
        prices: PriceBook,
        dryRun: Bool = false,
        batchSize: Int = 1000
    ) async throws -> RepriceSummary {
        let (found, pending) = try await reader.repricing(range: range, prices: prices)
        var summary = found
        guard !dryRun else { return summary }
        var start = pending.startIndex
        while start < pending.endIndex {
            let end = min(start + max(1, batchSize), pending.endIndex)
            let appended = try await append(contentsOf: Array(pending[start..<end]))
            summary.appended += appended.count
            start = end
        }
        return summary
    }
}

extension LedgerReader {
    /// What `Ledger.reprice(range:prices:dryRun: true)` reports, from a read-only open: a dry
    /// run needs no write access to the ledger.
    public func repriceDryRun(range: Range<Date>, prices: PriceBook) async throws -> Ledger.RepriceSummary {
        try await repricing(range: range, prices: prices).summary
    }

    /// The summary of a re-pricing and the adjustment rows it would append, in row order; both
    /// passes over the rows share one read transaction, so they see the same rows.
    func repricing(range: Range<Date>, prices: PriceBook) async throws -> (summary: Ledger.RepriceSummary, pending: [LedgerEntry]) {
        let state = try await store.reduceEntries(
            fromMs: LedgerEntry.milliseconds(range.lowerBound), untilMs: LedgerEntry.milliseconds(range.upperBound),
            passes: 2, into: Repricing(prices: prices)
        ) { state, pass, stored in
            if pass == 0 { state.collectAdjustment(stored) } else { state.reprice(stored) }
        }
        var summary = state.summary
        guard let cost = state.costDelta.money, let list = state.listCostDelta.money else {
            throw LedgerError(.sumOutOfRange, location: location, message: "the re-priced period's change in cost passes \(Money(nanoUSD: .max)); re-price a shorter period")
        }
        (summary.costDelta, summary.listCostDelta) = (cost, list)
        return (summary, state.pending)
    }
}

/// A re-pricing while it reads the rows: the adjustments already held per row (the first pass:
/// adjustments come after the rows they adjust), then each request re-priced (the second).
private struct Repricing: Sendable {
    let prices: PriceBook
    var adjusted: [Int64: (cost: MoneySum, listCost: MoneySum)] = [:]
    var summary = Ledger.RepriceSummary()
    var costDelta = MoneySum(), listCostDelta = MoneySum()
    var pending: [LedgerEntry] = []

    init(prices: PriceBook) {
        self.prices = prices
    }

    mutating func collectAdjustment(_ stored: StoredLedgerEntry) {
        guard stored.entry.kind == .adjustment, let original = stored.entry.adjusts else { return }
        var sums = adjusted[original] ?? (MoneySum(), MoneySum())
        sums.cost.add(stored.entry.cost ?? .zero)
        sums.listCost.add(stored.entry.listCost ?? .zero)
        adjusted[original] = sums
    }

    mutating func reprice(_ stored: StoredLedgerEntry) {
        let entry = stored.entry
        guard entry.kind == .request else { return }
        summary.examined += 1
        let found = prices.charge(
            provider: entry.provider, requestedModel: entry.modelRequested, returnedModel: entry.modelReturned,
            at: entry.timestamp, usage: entry.usage
        ).charge
        // An implausible row is unpriced in every sum whatever it was written with: left as it is.
        guard entry.usage.isPlausible, let charge = found else {
            summary.unpriced += 1
            return
        }
        let sums = adjusted[stored.seq] ?? (MoneySum(), MoneySum())
        var held = sums.cost, heldList = sums.listCost
        held.add(entry.cost ?? .zero)
        heldList.add(entry.listCost ?? .zero)
        // What a row holds is a charge (or nothing), so each difference fits an amount.
        guard let cost = MoneySum(charge.cost).subtracting(held).money,
              let list = MoneySum(charge.listCost ?? .zero).subtracting(heldList).money else {
            summary.unpriced += 1
            return
        }
        guard cost != .zero || list != .zero else { return }
        summary.changed += 1
        costDelta.add(cost)
        listCostDelta.add(list)
        var adjustment = LedgerEntry.adjustment(
            of: stored.seq, timestamp: entry.timestamp, provider: entry.provider, model: entry.modelRequested,
            cost: cost, listCost: list, attribution: entry.attribution
        )
        adjustment.modelReturned = entry.modelReturned
        adjustment.priceEntry = charge.entry
        adjustment.listPriceEntry = charge.listEntry
        pending.append(adjustment)
    }
}
