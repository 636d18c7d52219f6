public import Foundation
public import TallyPricing

/// A budget against the spend so far in its current period, and the verdict on it.
public struct BudgetStanding: Sendable, Hashable {
    /// What a budget's spend says.
    public enum Verdict: Int, Sendable, Hashable, Comparable {
        /// Below the warning share, and (when asked) not forecast to be spent.
        case ok
        /// At or over the warning share, or (when asked) forecast to be spent by the period's end.
        case warning
        /// Spent: at or over the limit (``Budget/isSpent(by:)``).
        case spent

        /// Orders by severity.
        public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The budget.
    public var budget: Budget
    /// The current period, end excluded.
    public var period: Range<Date>
    /// The priced spend in the period.
    public var spend: Money
    /// Rows in the period with no price, so not in `spend`.
    public var unpricedRows: Int64
    /// The spend at the period's end at the burn rate so far; nil unless the budget asks for it.
    public var forecast: Money?
    /// The verdict.
    public var verdict: Verdict

    /// Judges `spend` over `period` at `now`: spent when ``Budget/isSpent(by:)``; a warning at
    /// or over the warning share or when the linear forecast would spend the budget; else OK.
    public init(budget: Budget, spend: Money, unpricedRows: Int64 = 0, period: Range<Date>, now: Date) {
        self.budget = budget
        self.period = period
        self.spend = spend
        self.unpricedRows = unpricedRows
        let total = Int128(max(1, Int64(period.upperBound.timeIntervalSince(period.lowerBound).rounded())))
        let elapsed = Int128(min(max(1, Int64(now.timeIntervalSince(period.lowerBound).rounded())), Int64(total)))
        forecast = budget.forecast
            ? Money(nanoUSD: Int64(clamping: Exact.divideRoundingHalfEven(Int128(spend.nanoUSD) * total, by: elapsed)))
            : nil
        if budget.isSpent(by: spend) {
            verdict = .spent
        } else if spend >= budget.warnAt || (forecast.map(budget.isSpent(by:)) ?? false) {
            verdict = .warning
        } else {
            verdict = .ok
        }
    }
}

extension LedgerReader {
    /// How `budget` stands at `now`: its spend in the period holding `now`, summed with its filter.
    public func standing(of budget: Budget, at now: Date) async throws -> BudgetStanding {
        let period = budget.period.range(containing: now)
        let summary = try await summary(range: period, groupBy: [], timeZone: budget.period.timeZone, filter: budget.filter)
        return BudgetStanding(budget: budget, spend: summary.total.cost, unpricedRows: summary.total.unpricedRows, period: period, now: now)
    }
}
