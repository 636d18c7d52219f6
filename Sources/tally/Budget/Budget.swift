import Foundation
import TallyLedger
import TallyPricing

/// The monitoring-plugin status of a check, and its exit status.
enum CheckStatus: Int32, Comparable, Sendable {
    case ok = 0, warning = 1, critical = 2, unknown = 3

    /// The status of a verdict: a spent budget is CRITICAL.
    init(_ verdict: BudgetStanding.Verdict) {
        switch verdict {
        case .ok: self = .ok
        case .warning: self = .warning
        case .spent: self = .critical
        }
    }

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

/// A budget's standing as `tally budget check` prints it.
extension BudgetStanding {
    /// The check's status.
    var status: CheckStatus { CheckStatus(verdict) }

    /// "month spend $412.50 of $500.00 (82.5%), forecast $610.00" with the budget's scope.
    var summary: String {
        var scope = budget.name.map { "\($0): " } ?? ""
        var filters: [String] = []
        if let project = budget.project { filters.append("project \(project)") }
        if let user = budget.user { filters.append("user \(user)") }
        if !filters.isEmpty { scope += filters.joined(separator: ", ") + " " }
        let share = MoneyFormat.percent(spend, of: budget.limit).map { " (\($0)%)" } ?? ""
        var text = "\(scope)\(budget.period.unit.rawValue) spend \(MoneyFormat.text(spend)) of \(MoneyFormat.text(budget.limit))\(share)"
        if let forecast { text += ", forecast \(MoneyFormat.text(forecast)) at the linear burn rate so far" }
        return text
    }

    /// Perfdata: `label=spend;warn;crit;0` in exact decimal USD (a cent's rounding would show a
    /// spend just under the limit as equal to it), plus the forecast when asked for.
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
