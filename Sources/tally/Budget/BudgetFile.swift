import Foundation
import TallyPricing

/// Reads a budget file: `{ "budgets": [ { "name": "team-a", "limit": "500", "warn": "80",
/// "period": "month", "project": "a", "user": "u", "forecast": true } ] }`.
enum BudgetFile {
    static let fields = ["name", "limit", "warn", "period", "project", "user", "forecast"]

    /// The budgets of a file, or every problem, each as "FILE: JSON path: what is wrong".
    static func budgets(_ bytes: some Collection<UInt8>, file: String) -> Result<[Budget], Failure> {
        let root: JSONValue
        do {
            root = try JSONReader.parse(bytes)
        } catch {
            return .failure(Failure("\(file): $: invalid JSON at \(error)", status: ExitStatus.data))
        }
        guard case .array(let items)? = root["budgets"] else {
            return .failure(Failure("\(file): $: expected an object with a \"budgets\" array", status: ExitStatus.data))
        }
        var problems: [String] = []
        var budgets: [Budget] = []
        var names: Set<String> = []
        for (index, item) in items.enumerated() {
            let path = "$.budgets[\(index)]"
            func problem(_ field: String?, _ message: String) { problems.append("\(file): \(path)\(field.map { ".\($0)" } ?? ""): \(message)") }
            guard case .object(let members) = item else {
                problem(nil, "must be an object")
                continue
            }
            for member in members where !fields.contains(member.key) {
                problem(member.key, "unknown field \"\(member.key)\" (known: \(fields.joined(separator: ", ")))")
            }
            // One rule with the price tables: values are strings, amounts decimal strings ("500"),
            // never JSON numbers, which a reader may round through a binary float.
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
            guard item["name"] != nil else {
                problem("name", "missing: every budget in a file has a name")
                continue
            }
            guard let name = text("name") else { continue }
            if let reason = Budget.invalidNameReason(name) { problem("name", "\"\(name)\" \(reason)") }
            if !names.insert(name).inserted { problem("name", "\"\(name)\" names two budgets") }
            var budget = Budget(name: name, limit: .zero)
            if let limit = text("limit") {
                switch AmountText.positiveUSD(limit) {
                case .success(let money): budget.limit = money
                case .failure(let refusal): problem("limit", "\"\(limit)\" \(refusal.reason)")
                }
            } else if item["limit"] == nil {
                problem("limit", "missing")
            }
            if let warn = text("warn") {
                if let permille = Self.permille(warn) { budget.warnPermille = permille } else {
                    problem("warn", "\"\(warn)\" must be a percentage from 0 to 100 such as \"80\"")
                }
            }
            if let period = text("period") {
                if let value = Budget.Period(rawValue: period) { budget.period = value } else {
                    problem("period", "\"\(period)\" must be month or day")
                }
            }
            budget.project = text("project")
            budget.user = text("user")
            switch item["forecast"] {
            case .bool(let value)?: budget.forecast = value
            case nil: break
            case let other?: problem("forecast", "must be true or false, found \(other.kindDescription)")
            }
            budgets.append(budget)
        }
        if items.isEmpty { problems.append("\(file): $.budgets: no budgets") }
        return problems.isEmpty ? .success(budgets) : .failure(Failure(lines: problems, status: ExitStatus.data))
    }

    /// "80" or "82.5" as tenths of a percent; nil outside 0...100 or with more than one decimal.
    static func permille(_ text: String) -> Int64? {
        guard let number = DecimalText(text), let value = number.scaled(toDecimals: 1, rounding: .exact), (0...1000).contains(value) else {
            return nil
        }
        return value
    }
}
