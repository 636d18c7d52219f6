public import TallyPricing

/// A spending limit over a calendar period, optionally only for one project's or one user's
/// spend. `tally budget check` reports it; `tally serve` refuses the requests it covers once
/// it is spent.
public struct Budget: Sendable, Hashable {
    /// A name for messages and perfdata ("team-a"); nil for a single budget given by flags.
    public var name: String?
    /// The most that may be spent in one period.
    public var limit: Money
    /// The warning threshold, in tenths of a percent of the limit (800 = 80%).
    public var warnPermille: Int64
    /// The period the spend is summed over.
    public var period: BudgetPeriod
    /// Only this project's spend, or everyone's when nil.
    public var project: String?
    /// Only this user's spend, or everyone's when nil.
    public var user: String?
    /// Whether to warn when the linear burn rate so far spends the budget by the period's end.
    public var forecast: Bool

    /// Creates a budget; by default a UTC month, warning at 80%.
    public init(
        name: String?, limit: Money, warnPermille: Int64 = 800, period: BudgetPeriod = .init(.month),
        project: String? = nil, user: String? = nil, forecast: Bool = false
    ) {
        self.name = name
        self.limit = limit
        self.warnPermille = warnPermille
        self.period = period
        self.project = project
        self.user = user
        self.forecast = forecast
    }

    /// Whether `spend` has used the budget up: at or over the limit. The one comparison: the
    /// server refuses the next request and `budget check` is CRITICAL exactly when this holds.
    /// At the limit counts, since a limit is what may be spent: once it is reached, any further
    /// request would take the spend over it.
    public func isSpent(by spend: Money) -> Bool {
        spend >= limit
    }

    /// The spend at which the budget warns.
    public var warnAt: Money {
        Money(nanoUSD: Int64(clamping: Exact.divideRoundingHalfEven(Int128(limit.nanoUSD) * Int128(warnPermille), by: 1000)))
    }

    /// Whether the budget counts a request with this attribution's project and user.
    public func covers(_ attribution: Attribution) -> Bool {
        (project == nil || project == attribution.project) && (user == nil || user == attribution.user)
    }

    /// The report filter that sums the spend this budget counts.
    public var filter: Report.Filter {
        Report.Filter(project: project, user: user)
    }

    /// Why `name` cannot name a budget, or nil: a perfdata label cannot hold `=` or `'` (the
    /// monitoring-plugins guidelines), `|` would end the status line's text, and control
    /// characters would break the line.
    package static func invalidNameReason(_ name: String) -> String? {
        if name.contains(where: { $0 == "=" || $0 == "'" || $0 == "|" }) {
            return "cannot hold =, ' or | (they break the perfdata line)"
        }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "cannot hold control characters"
        }
        return nil
    }
}
