import Foundation
import TallyPricing

/// A spending limit over a calendar period, optionally for one project or user.
struct Budget: Sendable, Hashable {
    /// How often the budget resets.
    enum Period: String, Sendable, Hashable, CaseIterable {
        case month, day
    }

    /// A name for the status line and perfdata ("team-a"); nil for a single budget from flags.
    var name: String?
    /// The limit.
    var limit: Money
    /// The warning threshold, in tenths of a percent of the limit (800 = 80%).
    var warnPermille: Int64 = 800
    var period: Period = .month
    var project: String?
    var user: String?
    /// Whether to warn when the linear burn rate will exceed the limit by the period's end.
    var forecast: Bool = false

    /// Why `name` cannot name a budget, or nil: a perfdata label cannot hold `=` or `'` (the
    /// monitoring-plugins guidelines), `|` would end the status line's text, and control
    /// characters would break the line.
    static func invalidNameReason(_ name: String) -> String? {
        if name.contains(where: { $0 == "=" || $0 == "'" || $0 == "|" }) {
            return "cannot hold =, ' or | (they break the perfdata line)"
        }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "cannot hold control characters"
        }
        return nil
    }

    /// The spend at which the budget warns.
    var warnAt: Money {
        Money(nanoUSD: Int64(clamping: Exact.divideRoundingHalfEven(Int128(limit.nanoUSD) * Int128(warnPermille), by: 1000)))
    }
}

/// The monitoring-plugin status of a check, and its exit status.
enum CheckStatus: Int32, Comparable, Sendable {
    case ok = 0, warning = 1, critical = 2, unknown = 3

    static func < (lhs: CheckStatus, rhs: CheckStatus) -> Bool { lhs.rawValue < rhs.rawValue }

    var label: String {
        switch self {
        case .ok: "OK"
        case .warning: "WARNING"
        case .critical: "CRITICAL"
        case .unknown: "UNKNOWN"
        }
    }
}

/// A budget checked against the spend so far in its current period.
struct BudgetResult: Sendable, Hashable {
    var budget: Budget
    var spend: Money
    /// The spend at the period's end at the burn rate so far; nil unless asked for.
    var forecast: Money?
    var status: CheckStatus

    /// Evaluates a budget: CRITICAL when the spend is over the limit, WARNING at or over the
    /// warning share or (with `forecast`) when the linear forecast is over the limit, OK otherwise.
    init(budget: Budget, spend: Money, period: Range<Date>, now: Date) {
        self.budget = budget
        self.spend = spend
        let total = Int128(max(1, Int64(period.upperBound.timeIntervalSince(period.lowerBound).rounded())))
        let elapsed = Int128(min(max(1, Int64(now.timeIntervalSince(period.lowerBound).rounded())), Int64(total)))
        forecast = budget.forecast
            ? Money(nanoUSD: Int64(clamping: Exact.divideRoundingHalfEven(Int128(spend.nanoUSD) * total, by: elapsed)))
            : nil
        if spend > budget.limit {
            status = .critical
        } else if spend >= budget.warnAt || (forecast.map { $0 > budget.limit } ?? false) {
            status = .warning
        } else {
            status = .ok
        }
    }

    /// "month spend $412.50 of $500.00 (82.5%), forecast $610.00" with the budget's scope.
    var summary: String {
        var scope = budget.name.map { "\($0): " } ?? ""
        var filters: [String] = []
        if let project = budget.project { filters.append("project \(project)") }
        if let user = budget.user { filters.append("user \(user)") }
        if !filters.isEmpty { scope += filters.joined(separator: ", ") + " " }
        let share = MoneyFormat.percent(spend, of: budget.limit).map { " (\($0)%)" } ?? ""
        var text = "\(scope)\(budget.period.rawValue) spend \(MoneyFormat.text(spend)) of \(MoneyFormat.text(budget.limit))\(share)"
        if let forecast { text += ", forecast \(MoneyFormat.text(forecast)) at the linear burn rate so far" }
        return text
    }

    /// Perfdata: `label=spend;warn;crit;0` in exact decimal USD (a cent's rounding would show a
    /// spend just over the limit as equal to it), plus the forecast when asked for.
    var perfdata: String {
        let label = Self.perfLabel(budget.name ?? "spend")
        var text = "\(label)=\(spend.decimalString);\(budget.warnAt.decimalString);\(budget.limit.decimalString);0"
        if let forecast {
            text += " \(Self.perfLabel((budget.name.map { $0 + "_" } ?? "") + "forecast"))=\(forecast.decimalString);;\(budget.limit.decimalString);0"
        }
        return text
    }

    /// A perfdata label, in single quotes when it holds anything but letters, digits, '_', '-' or
    /// '.' (the monitoring-plugins guidelines; names that cannot be quoted are refused earlier).
    static func perfLabel(_ name: String) -> String {
        let plain = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }
        return plain ? name : "'" + name + "'"
    }
}
