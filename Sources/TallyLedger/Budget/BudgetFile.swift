public import Foundation
package import TallyPricing
package import TallyJSON

/// The one budget format, read by `tally budget check --config` and embedded in the `budgets`
/// array of `tally serve`'s configuration file:
/// `{ "budgets": [ { "name": "team-a", "limit": "500", "warn": "80", "period": "month",
/// "tz": "Europe/Berlin", "project": "a", "user": "u", "forecast": true } ] }`.
///
/// Other members of the top-level object are ignored, so a server's configuration file is a
/// budget file too. Values are strings (amounts are decimal strings, never JSON numbers, which a
/// reader may round through a binary float); `forecast` is a boolean.
public enum BudgetFile {
    /// The members a budget object may have.
    package static let fields = ["name", "limit", "warn", "period", "tz", "project", "user", "forecast"]

    /// The budgets of a budget file; there must be at least one.
    public static func load(_ bytes: some Collection<UInt8>, file: String, defaultZone: TimeZone = BudgetPeriod.utc) throws(BudgetFileError) -> [Budget] {
        let root: JSONValue
        do {
            root = try JSONReader.parse(bytes)
        } catch {
            throw BudgetFileError(problems: ["\(file): $: invalid JSON at \(error)"])
        }
        guard case .object = root, case .array(let items)? = root["budgets"] else {
            throw BudgetFileError(problems: ["\(file): $: expected an object with a \"budgets\" array"])
        }
        var problems: [String] = []
        let budgets = Self.budgets(items, path: "$.budgets", file: file, defaultZone: defaultZone, problems: &problems)
        if items.isEmpty { problems.append("\(file): $.budgets: no budgets") }
        guard problems.isEmpty else { throw BudgetFileError(problems: problems) }
        return budgets
    }

    /// The budgets of the array `items` found at JSON path `path`; each problem is appended to
    /// `problems` as "FILE: PATH: what is wrong". A budget naming no `tz` is in `defaultZone`.
    package static func budgets(_ items: [JSONValue], path arrayPath: String, file: String, defaultZone: TimeZone, problems: inout [String]) -> [Budget] {
        var budgets: [Budget] = []
        var names: Set<String> = []
        for (index, item) in items.enumerated() {
            let path = "\(arrayPath)[\(index)]"
            var found: [String] = []
            func problem(_ field: String?, _ message: String) { found.append("\(file): \(path)\(field.map { ".\($0)" } ?? ""): \(message)") }
            defer { problems += found }
            guard case .object(let members) = item else {
                problem(nil, "must be an object, found \(item.kindDescription)")
                continue
            }
            for member in members where !fields.contains(member.key) {
                problem(member.key, "unknown field \"\(member.key)\" (known: \(fields.joined(separator: ", ")))")
            }
            func text(_ key: String) -> String? {
                switch item[key] {
                case .string(let value)?:
                    if value.isEmpty { problem(key, "is empty: leave the field out, or give a value") }
                    return value.isEmpty ? nil : value
                case .number(let value)?:
                    problem(key, "must be a string such as \"\(value)\", found the JSON number \(value)")
                    return nil
                case nil: return nil
                case let other?:
                    problem(key, "must be a string, found \(other.kindDescription)")
                    return nil
                }
            }
            if case .string("")? = item["name"] {
                problem("name", "is empty: every budget in a file has a name")
                continue
            }
            // A budget of one project may leave its name out: the project names it (as in the
            // older server configurations, whose budgets had no name).
            let project = text("project")
            guard item["name"] != nil || project != nil else {
                problem("name", "missing: every budget in a file has a name (or a project, which then names it)")
                continue
            }
            guard let name = item["name"] == nil ? project : text("name") else { continue }
            if let reason = Budget.invalidNameReason(name) { problem("name", "\"\(name)\" \(reason)") }
            if !names.insert(name).inserted { problem("name", "\"\(name)\" names two budgets") }
            var budget = Budget(name: name, limit: .zero, period: BudgetPeriod(.month, in: defaultZone), project: project)
            if let limit = text("limit") {
                switch AmountText.positiveUSD(limit) {
                case .success(let money): budget.limit = money
                case .failure(let refusal): problem("limit", "\"\(limit)\" \(refusal.reason)")
                }
            } else if item["limit"] == nil {
                problem("limit", "missing: a positive amount of USD such as \"100\"")
            }
            if let warn = text("warn") {
                if let permille = AmountText.permille(warn) { budget.warnPermille = permille } else {
                    problem("warn", "\"\(warn)\" must be a percentage from 0 to 100 such as \"80\"")
                }
            }
            if let period = text("period") {
                if let unit = BudgetPeriod.Unit(rawValue: period) { budget.period.unit = unit } else {
                    problem("period", "\"\(period)\" must be month or day")
                }
            }
            if let zone = text("tz") {
                if let timeZone = BudgetPeriod.timeZone(named: zone) { budget.period.timeZone = timeZone } else {
                    problem("tz", "\"\(zone)\" is not a time zone: \(BudgetPeriod.zoneNameHint)")
                }
            }
            budget.user = text("user")
            switch item["forecast"] {
            case .bool(let value)?: budget.forecast = value
            case nil: break
            case let other?: problem("forecast", "must be true or false, found \(other.kindDescription)")
            }
            if found.isEmpty { budgets.append(budget) }
        }
        return budgets
    }
}
