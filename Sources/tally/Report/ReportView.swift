import Foundation
import TallyLedger
import TallyPricing
import TallyUsage

/// A report summary laid out for people (table, chart) and programs (JSON, CSV).
struct ReportView {
    var summary: Report.Summary
    var groups: [Report.Dimension]
    var period: Period

    /// A row's value for a dimension: the period's day or month in the report's zone, or the
    /// attribute; nil for a row without one (JSON writes `null`, CSV an empty field).
    func field(_ dimension: Report.Dimension, of row: Report.Row) -> String? {
        switch dimension {
        case .month, .day:
            guard let start = row.period?.start else { return nil }
            let parts = period.calendar.dateComponents([.year, .month, .day], from: start)
            let month = String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
            return dimension == .month ? month : month + String(format: "-%02d", parts.day ?? 0)
        case .provider: return row.provider
        case .model: return row.model
        case .project: return row.project
        case .user: return row.user
        case .tag: return row.tag
        }
    }

    /// A row's value for a dimension as a table shows it: "(none)" (or "(untagged)") when unset.
    func value(_ dimension: Report.Dimension, of row: Report.Row) -> String {
        field(dimension, of: row) ?? (dimension == .tag ? "(untagged)" : "(none)")
    }

    /// A row's cost: "unknown" when no row of it was priced, else the known sum, marked when some rows are unpriced.
    static func costText(_ totals: Report.Totals) -> String {
        let rows = totals.requests + totals.adjustments
        if totals.unpricedRows > 0, totals.unpricedRows >= rows { return "unknown" }
        return MoneyFormat.text(totals.cost) + (totals.unpricedRows > 0 ? "*" : "")
    }

    /// The list cost and savings; nil when unknown (no row has an official price). An empty
    /// period has zero of everything: its list cost and savings are $0.00 like its cost.
    static func listed(_ totals: Report.Totals) -> (listCost: Money, savings: Money)? {
        if totals.requests + totals.adjustments == 0 { return (.zero, .zero) }
        return totals.savings.map { (totals.listCost, $0) }
    }

    static func savingsPercent(_ totals: Report.Totals) -> String? {
        guard let listed = listed(totals) else { return nil }
        return MoneyFormat.percent(listed.savings, of: listed.listCost)
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
            let listed = Self.listed(totals)
            let savings = listed.map { MoneyFormat.text($0.savings) }
            cells += [
                MoneyFormat.count(totals.usage.output), MoneyFormat.count(totals.usage.reasoning),
                Self.costText(totals) == "unknown" ? Terminal.yellow("unknown", colour) : Self.costText(totals),
                listed.map { MoneyFormat.text($0.listCost) } ?? Terminal.yellow("unknown", colour),
                savings.map { listed.map { $0.savings.nanoUSD < 0 } == true ? Terminal.red($0, colour) : Terminal.green($0, colour) }
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
        if total.implausibleRows > 0 {
            lines.append("\(MoneyFormat.count(total.implausibleRows)) of the unpriced rows report a token count below 0 or above \(MoneyFormat.count(Usage.plausibleMaximum)) (an upstream's bug): kept in the ledger as reported, left out of every sum.")
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
                bar(row.totals.listCost), Self.listed(row.totals).map { MoneyFormat.text($0.listCost) } ?? "unknown",
            ])
        }
        table.appendRule()
        table.append([
            "TOTAL", "", Self.costText(summary.total), "",
            Self.listed(summary.total).map { MoneyFormat.text($0.listCost) } ?? "unknown",
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
                allUnpriced ? "" : totals.cost.decimalString, Self.listed(totals)?.listCost.decimalString ?? "",
                Self.listed(totals)?.savings.decimalString ?? "", Self.savingsPercent(totals) ?? "", String(totals.estimatedRows), String(totals.unpricedRows),
            ]
        }
        for row in summary.rows { writer.append(groups.map { field($0, of: row) ?? "" } + fields(row.totals)) }
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

            /// The period as every report's JSON writes it.
            init(_ period: Period) {
                let iso = ISO8601DateFormatter()
                label = period.label
                since = iso.string(from: period.range.lowerBound)
                until = iso.string(from: period.range.upperBound)
                timeZone = period.zoneName
            }
        }

        struct Tokens: Encodable {
            var input, cachedInput, cacheWrite, cacheWrite1h, output, reasoning: Int64
            enum CodingKeys: String, CodingKey {
                case input, output, reasoning
                case cachedInput = "cached_input", cacheWrite = "cache_write", cacheWrite1h = "cache_write_1h"
            }
        }

        struct Totals: Encodable {
            /// The row's values per dimension; a value is `null` when the rows have none.
            var group: [String: String?]?
            var requests, adjustments: Int64
            var tokens: Tokens
            var cost, listCost, savings: MoneyJSON?
            var savingsPercent: String?
            var estimatedRows, unpricedRows, implausibleRows: Int64
            enum CodingKeys: String, CodingKey {
                case group, requests, adjustments, tokens, cost, savings
                case listCost = "list_cost", savingsPercent = "savings_percent"
                case estimatedRows = "estimated_rows", unpricedRows = "unpriced_rows", implausibleRows = "implausible_rows"
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
        func totals(_ t: Report.Totals, group: [String: String?]?) -> JSON.Totals {
            let allUnpriced = t.unpricedRows > 0 && t.unpricedRows >= t.requests + t.adjustments
            return JSON.Totals(
                group: group, requests: t.requests, adjustments: t.adjustments,
                tokens: .init(input: t.usage.input, cachedInput: t.usage.cachedInput, cacheWrite: t.usage.cacheWrite,
                              cacheWrite1h: t.usage.cacheWrite1h, output: t.usage.output, reasoning: t.usage.reasoning),
                cost: allUnpriced ? nil : MoneyJSON(t.cost), listCost: Self.listed(t).map { MoneyJSON($0.listCost) },
                savings: Self.listed(t).map { MoneyJSON($0.savings) }, savingsPercent: Self.savingsPercent(t),
                estimatedRows: t.estimatedRows, unpricedRows: t.unpricedRows, implausibleRows: t.implausibleRows
            )
        }
        return JSON(
            period: JSON.PeriodJSON(period),
            groupBy: groups.map(\.rawValue),
            rows: summary.rows.map { row in totals(row.totals, group: Dictionary(uniqueKeysWithValues: groups.map { ($0.rawValue, field($0, of: row)) })) },
            total: totals(summary.total, group: nil),
            unpricedModels: summary.unpriced.map { JSON.Unpriced(provider: $0.provider, model: $0.model, rows: $0.rows) }
        )
    }
}
