import Foundation
import TallyLedger
import TallyPricing

/// A report summary laid out for people (table, chart) and programs (JSON, CSV).
struct ReportView {
    var summary: Report.Summary
    var groups: [Report.Dimension]
    var period: Period

    /// The text of a row's value for a dimension: the period's day or month in the report's zone,
    /// or the attribute ("(none)" for rows without one).
    func value(_ dimension: Report.Dimension, of row: Report.Row) -> String {
        switch dimension {
        case .month, .day:
            guard let start = row.period?.start else { return "" }
            let parts = period.calendar.dateComponents([.year, .month, .day], from: start)
            let month = String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
            return dimension == .month ? month : month + String(format: "-%02d", parts.day ?? 0)
        case .provider: return row.provider ?? "(none)"
        case .model: return row.model ?? "(none)"
        case .project: return row.project ?? "(none)"
        case .user: return row.user ?? "(none)"
        case .tag: return row.tag ?? "(untagged)"
        }
    }

    /// A row's cost: "unknown" when no row of it was priced, else the known sum, marked when some rows are unpriced.
    static func costText(_ totals: Report.Totals) -> String {
        let rows = totals.requests + totals.adjustments
        if totals.unpricedRows > 0, totals.unpricedRows >= rows { return "unknown" }
        return MoneyFormat.text(totals.cost) + (totals.unpricedRows > 0 ? "*" : "")
    }

    static func savingsPercent(_ totals: Report.Totals) -> String? {
        guard let savings = totals.savings else { return nil }
        return MoneyFormat.percent(savings, of: totals.listCost)
    }

    // MARK: Table

    func table(colour: Bool) -> String {
        let showCacheWrites = summary.total.usage.cacheWrite + summary.total.usage.cacheWrite1h != 0
        var columns: [(header: String, alignment: TextTable.Alignment)] = groups.map { ($0.rawValue.uppercased(), .left) }
        columns += [("REQUESTS", .right), ("INPUT", .right), ("CACHED", .right)]
        if showCacheWrites { columns.append(("CACHE WRITE", .right)) }
        columns += [("OUTPUT", .right), ("REASONING", .right), ("COST", .right), ("LIST COST", .right), ("SAVINGS", .right), ("SAVED", .right)]
        var table = TextTable(columns: columns)
        func cells(_ totals: Report.Totals) -> [String] {
            var cells = [MoneyFormat.count(totals.requests), MoneyFormat.count(totals.usage.input), MoneyFormat.count(totals.usage.cachedInput)]
            if showCacheWrites { cells.append(MoneyFormat.count(totals.usage.cacheWrite + totals.usage.cacheWrite1h)) }
            let savings = totals.savings.map { MoneyFormat.text($0) }
            cells += [
                MoneyFormat.count(totals.usage.output), MoneyFormat.count(totals.usage.reasoning),
                Self.costText(totals) == "unknown" ? Terminal.yellow("unknown", colour) : Self.costText(totals),
                totals.savings == nil ? Terminal.yellow("unknown", colour) : MoneyFormat.text(totals.listCost),
                savings.map { totals.savings.map { $0.nanoUSD < 0 } == true ? Terminal.red($0, colour) : Terminal.green($0, colour) }
                    ?? Terminal.yellow("unknown", colour),
                Self.savingsPercent(totals).map { $0 + "%" } ?? "",
            ]
            return cells
        }
        for row in summary.rows {
            table.append(groups.map { value($0, of: row) } + cells(row.totals))
        }
        let totalLabel = groups.isEmpty ? [] : ["TOTAL"] + Array(repeating: "", count: groups.count - 1)
        table.appendRule()
        table.append(totalLabel.map { Terminal.bold($0, colour) } + cells(summary.total))
        var text = "Period \(period.label) (\(period.zoneName))\n" + table.render()
        text += footnotes()
        return text
    }

    func footnotes() -> String {
        var lines: [String] = []
        let total = summary.total
        if total.requests + total.adjustments == 0 { lines.append("No requests in this period.") }
        if total.unpricedRows > 0 {
            let models = summary.unpriced.map { "\($0.provider)/\($0.model) (\(MoneyFormat.count($0.rows)))" }.joined(separator: ", ")
            lines.append("* \(MoneyFormat.count(total.unpricedRows)) unpriced rows, cost unknown and not included: \(models). Add their prices with --pricing or fix the model names.")
        }
        if total.estimatedRows > 0 {
            lines.append("\(MoneyFormat.count(total.estimatedRows)) rows have estimated usage (the provider reported none; counted by the tokenizer).")
        }
        if total.rowsWithoutListPrice > 0, total.savings != nil {
            lines.append("\(MoneyFormat.count(total.rowsWithoutListPrice)) rows have no official price; savings cover the others.")
        }
        if total.adjustments > 0 {
            lines.append("Includes \(MoneyFormat.count(total.adjustments)) adjustment rows (re-pricing corrections).")
        }
        return lines.map { $0 + "\n" }.joined()
    }

    // MARK: Chart

    func chart(colour: Bool) -> String {
        let width = 40
        let maximum = summary.rows.map { max($0.totals.cost.nanoUSD, $0.totals.listCost.nanoUSD) }.max() ?? 0
        func bar(_ amount: Money) -> String {
            guard maximum > 0, amount.nanoUSD > 0 else { return "" }
            let eighths = Int(Exact.divideRoundingHalfEven(Int128(amount.nanoUSD) * Int128(width * 8), by: Int128(maximum)))
            let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
            return String(repeating: "█", count: eighths / 8) + partial[eighths % 8]
        }
        var table = TextTable(columns: [("DAY", .left), ("SPEND", .left), ("", .right), ("LIST COST", .left), ("", .right)])
        for row in summary.rows {
            table.append([
                value(.day, of: row), Terminal.green(bar(row.totals.cost), colour), Self.costText(row.totals),
                bar(row.totals.listCost), row.totals.savings == nil ? "unknown" : MoneyFormat.text(row.totals.listCost),
            ])
        }
        table.appendRule()
        table.append([
            "TOTAL", "", Self.costText(summary.total), "",
            summary.total.savings == nil ? "unknown" : MoneyFormat.text(summary.total.listCost),
        ])
        return "Spend per day, \(period.label) (\(period.zoneName)); bars share one scale.\n" + table.render() + footnotes()
    }

    // MARK: CSV

    var csv: String {
        var writer = CSVWriter(header: groups.map(\.rawValue) + [
            "requests", "adjustments", "input", "cached_input", "cache_write", "cache_write_1h", "output", "reasoning",
            "cost_usd", "list_cost_usd", "savings_usd", "savings_percent", "estimated_rows", "unpriced_rows",
        ])
        func fields(_ totals: Report.Totals) -> [String] {
            let u = totals.usage
            let allUnpriced = totals.unpricedRows > 0 && totals.unpricedRows >= totals.requests + totals.adjustments
            return [
                String(totals.requests), String(totals.adjustments), String(u.input), String(u.cachedInput), String(u.cacheWrite),
                String(u.cacheWrite1h), String(u.output), String(u.reasoning),
                allUnpriced ? "" : totals.cost.decimalString, totals.savings == nil ? "" : totals.listCost.decimalString,
                totals.savings?.decimalString ?? "", Self.savingsPercent(totals) ?? "", String(totals.estimatedRows), String(totals.unpricedRows),
            ]
        }
        for row in summary.rows { writer.append(groups.map { value($0, of: row) } + fields(row.totals)) }
        writer.append((groups.isEmpty ? [] : ["TOTAL"] + Array(repeating: "", count: groups.count - 1)) + fields(summary.total))
        return writer.text
    }

    // MARK: JSON

    /// The stable JSON shape documented in the README.
    struct JSON: Encodable {
        struct PeriodJSON: Encodable {
            var label: String
            var since: String
            var until: String
            var timeZone: String
            enum CodingKeys: String, CodingKey { case label, since, until, timeZone = "time_zone" }
        }

        struct Tokens: Encodable {
            var input, cachedInput, cacheWrite, cacheWrite1h, output, reasoning: Int64
            enum CodingKeys: String, CodingKey {
                case input, output, reasoning
                case cachedInput = "cached_input", cacheWrite = "cache_write", cacheWrite1h = "cache_write_1h"
            }
        }

        struct Totals: Encodable {
            var group: [String: String]?
            var requests, adjustments: Int64
            var tokens: Tokens
            var cost, listCost, savings: MoneyJSON?
            var savingsPercent: String?
            var estimatedRows, unpricedRows: Int64
            enum CodingKeys: String, CodingKey {
                case group, requests, adjustments, tokens, cost, savings
                case listCost = "list_cost", savingsPercent = "savings_percent"
                case estimatedRows = "estimated_rows", unpricedRows = "unpriced_rows"
            }
        }

        struct Unpriced: Encodable {
            var provider, model: String
            var rows: Int64
        }

        var period: PeriodJSON
        var groupBy: [String]
        var rows: [Totals]
        var total: Totals
        var unpricedModels: [Unpriced]
        enum CodingKeys: String, CodingKey {
            case period, rows, total
            case groupBy = "group_by", unpricedModels = "unpriced_models"
        }
    }

    var json: JSON {
        func totals(_ t: Report.Totals, group: [String: String]?) -> JSON.Totals {
            let allUnpriced = t.unpricedRows > 0 && t.unpricedRows >= t.requests + t.adjustments
            return JSON.Totals(
                group: group, requests: t.requests, adjustments: t.adjustments,
                tokens: .init(input: t.usage.input, cachedInput: t.usage.cachedInput, cacheWrite: t.usage.cacheWrite,
                              cacheWrite1h: t.usage.cacheWrite1h, output: t.usage.output, reasoning: t.usage.reasoning),
                cost: allUnpriced ? nil : MoneyJSON(t.cost), listCost: t.savings == nil ? nil : MoneyJSON(t.listCost),
                savings: t.savings.map(MoneyJSON.init), savingsPercent: Self.savingsPercent(t),
                estimatedRows: t.estimatedRows, unpricedRows: t.unpricedRows
            )
        }
        let iso = ISO8601DateFormatter()
        return JSON(
            period: .init(label: period.label, since: iso.string(from: period.range.lowerBound), until: iso.string(from: period.range.upperBound), timeZone: period.zoneName),
            groupBy: groups.map(\.rawValue),
            rows: summary.rows.map { row in totals(row.totals, group: Dictionary(uniqueKeysWithValues: groups.map { ($0.rawValue, value($0, of: row)) })) },
            total: totals(summary.total, group: nil),
            unpricedModels: summary.unpriced.map { JSON.Unpriced(provider: $0.provider, model: $0.model, rows: $0.rows) }
        )
    }
}
