import ArgumentParser
import Foundation
import TallyLedger
import TallyPricing
import TallyUsage

/// `tally report whatif --provider P`: the period's real usage re-priced under another provider.
struct ReportWhatIf: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whatif",
        abstract: "Re-price the period's actual usage under another provider's table, model by model.",
        discussion: """
            Each request is priced again under the provider's entry in force at its own time, with its own \
            tier, and rounded on its own, exactly as that provider would have billed it. A model is matched \
            by the official model it stands for, else by name; models the provider does not sell are listed.
            """
    )

    @Option(help: "The provider whose prices to apply.")
    var provider: String

    @OptionGroup var period: PeriodOptions

    @Option(help: "Only this project.")
    var project: String?

    @Option(help: "Only this user.")
    var user: String?

    @OptionGroup var pricing: PricingOptions
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var output: FormatOptions

    /// One model's requests, what they cost, and what they would have cost.
    struct Line {
        var provider: String
        var model: String
        var target: String?
        var requests: Int64 = 0
        var actual = MoneySum()
        var actualUnpriced: Int64 = 0
        var whatIf = MoneySum()
        var whatIfUnpriced: Int64 = 0
    }

    func run() async throws {
        try await reportingLedgerFailures {
            let book = try pricing.loadBook()
            guard let target = book.table(provider: provider) else {
                throw Failure("--provider \(provider): no such provider (known: \(book.tables.map(\.provider).joined(separator: ", ")))", status: ExitStatus.usage)
            }
            let period = try self.period.resolve()
            let (project, user) = (self.project, self.user)
            let reader = try ledger.reader()
            let (lines, order) = try await reader.reduceEntries(
                since: period.range.lowerBound, until: period.range.upperBound, into: ([String: Line](), [String]())
            ) { state, stored in
                let entry = stored.entry
                guard entry.kind == .request else { return }
                if let project, entry.attribution.project != project { return }
                if let user, entry.attribution.user != user { return }
                let key = entry.provider + "\u{0}" + entry.modelRequested
                if state.0[key] == nil {
                    state.0[key] = Line(provider: entry.provider, model: entry.modelRequested, target: Self.counterpart(of: entry, in: target, book: book))
                    state.1.append(key)
                }
                state.0[key]?.requests += 1
                // An implausible row is unpriced in every report, whatever amount it was written with.
                if let cost = entry.cost, entry.usage.isPlausible { state.0[key]?.actual.add(cost) } else { state.0[key]?.actualUnpriced += 1 }
                if let model = state.0[key]?.target,
                   let charge = book.charge(provider: target.provider, requestedModel: model, at: entry.timestamp, usage: entry.usage).charge {
                    state.0[key]?.whatIf.add(charge.cost)
                } else {
                    state.0[key]?.whatIfUnpriced += 1
                }
            }
            let sorted = order.compactMap { lines[$0] }.sorted { ($0.actual.nanoUSD, $0.model) > ($1.actual.nanoUSD, $1.model) }
            write(try render(sorted, target: target.provider, period: period))
        }
    }

    /// The target provider's model for a ledger row's model: the same official model, else the same name.
    static func counterpart(of entry: LedgerEntry, in target: PriceTable, book: PriceBook) -> String? {
        if let source = book.model(entry.modelRequested, provider: entry.provider),
           let table = book.table(provider: entry.provider),
           let identity = book.officialIdentity(of: source, in: table) {
            for model in target.models {
                if let other = book.officialIdentity(of: model, in: target), other.provider == identity.provider, other.model == identity.model {
                    return model.key
                }
            }
        }
        return book.model(entry.modelRequested, provider: target.provider)?.key
    }

    struct LineJSON: Encodable {
        var provider, model: String
        var whatIfModel: String?
        var requests: Int64
        var actualCost: MoneyJSON
        var actualUnpricedRows: Int64
        var whatIfCost: MoneyJSON?
        var difference: MoneyJSON?
        enum CodingKeys: String, CodingKey {
            case provider, model, requests, difference
            case whatIfModel = "whatif_model", actualCost = "actual_cost", actualUnpricedRows = "actual_unpriced_rows", whatIfCost = "whatif_cost"
        }
    }

    /// The JSON document: the period, one row per model and the total, like every report.
    struct JSON: Encodable {
        struct Total: Encodable {
            var requests: Int64
            var actualCost: MoneyJSON
            var actualUnpricedRows: Int64
            /// Nil when any model is not sold by the provider or cannot be priced by it.
            var whatIfCost: MoneyJSON?
            var difference: MoneyJSON?
            enum CodingKeys: String, CodingKey {
                case requests, difference
                case actualCost = "actual_cost", actualUnpricedRows = "actual_unpriced_rows", whatIfCost = "whatif_cost"
            }

            /// Writes an unknown amount as `null`, not by leaving the key out.
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(requests, forKey: .requests)
                try container.encode(actualCost, forKey: .actualCost)
                try container.encode(actualUnpricedRows, forKey: .actualUnpricedRows)
                try container.encode(whatIfCost, forKey: .whatIfCost)
                try container.encode(difference, forKey: .difference)
            }
        }

        var period: ReportView.JSON.PeriodJSON
        var provider: String
        var rows: [LineJSON]
        var total: Total
    }

    func render(_ lines: [Line], target: String, period: Period) throws -> String {
        // Every sum is exact in 128 bits; one that no amount can hold is an error, never a trap.
        func money(_ sum: MoneySum) throws -> Money {
            guard let money = sum.money else {
                throw Failure("the what-if sums of this period pass \(Money(nanoUSD: .max)), the largest amount Tally reports; report a shorter period", status: ExitStatus.data)
            }
            return money
        }
        let json = try lines.map { line in
            let comparable = line.target != nil && line.whatIfUnpriced == 0
            return LineJSON(
                provider: line.provider, model: line.model, whatIfModel: line.target, requests: line.requests,
                actualCost: MoneyJSON(try money(line.actual)), actualUnpricedRows: line.actualUnpriced,
                whatIfCost: comparable ? MoneyJSON(try money(line.whatIf)) : nil,
                difference: comparable && line.actualUnpriced == 0 ? MoneyJSON(try money(line.whatIf.subtracting(line.actual))) : nil
            )
        }
        var actual = MoneySum(), whatIf = MoneySum()
        for line in lines {
            actual.add(line.actual)
            whatIf.add(line.whatIf)
        }
        let comparableAll = json.allSatisfy { $0.whatIfCost != nil && $0.difference != nil }
        let total = JSON.Total(
            requests: json.reduce(0) { $0 + $1.requests }, actualCost: MoneyJSON(try money(actual)),
            actualUnpricedRows: json.reduce(0) { $0 + $1.actualUnpricedRows },
            whatIfCost: comparableAll ? MoneyJSON(try money(whatIf)) : nil,
            difference: comparableAll ? MoneyJSON(try money(whatIf.subtracting(actual))) : nil
        )
        switch output.format {
        case .json:
            return try JSONOutput.encode(JSON(period: ReportView.JSON.PeriodJSON(period), provider: target, rows: json, total: total))
        case .csv:
            var csv = CSVWriter(header: ["provider", "model", "whatif_model", "requests", "actual_cost_usd", "actual_unpriced_rows", "whatif_cost_usd", "difference_usd"])
            for row in json {
                csv.append([
                    row.provider, row.model, row.whatIfModel ?? "", String(row.requests), row.actualCost.usd, String(row.actualUnpricedRows),
                    row.whatIfCost?.usd ?? "", row.difference?.usd ?? "",
                ])
            }
            csv.append([
                "TOTAL", "", "", String(total.requests), total.actualCost.usd, String(total.actualUnpricedRows),
                total.whatIfCost?.usd ?? "", total.difference?.usd ?? "",
            ])
            return csv.text
        case .table:
            var table = TextTable(columns: [
                ("PROVIDER", .left), ("MODEL", .left), ("REQUESTS", .right), ("ACTUAL", .right),
                ("\(target.uppercased()) MODEL", .left), ("WOULD COST", .right), ("DIFFERENCE", .right),
            ])
            for row in json {
                table.append([
                    row.provider, row.model, MoneyFormat.count(row.requests),
                    MoneyFormat.text(row.actualCost.money) + (row.actualUnpricedRows > 0 ? "*" : ""),
                    row.whatIfModel ?? "(not sold)", row.whatIfCost.map { MoneyFormat.text($0.money) } ?? "unknown",
                    row.difference.map { MoneyFormat.text($0.money) } ?? "",
                ])
            }
            table.appendRule()
            table.append([
                "TOTAL", "", MoneyFormat.count(total.requests), MoneyFormat.text(total.actualCost.money), "",
                total.whatIfCost.map { MoneyFormat.text($0.money) } ?? "unknown", total.difference.map { MoneyFormat.text($0.money) } ?? "",
            ])
            var text = "Period \(period.label) (\(period.zoneName)) re-priced under \(target)\n" + table.render()
            let unsold = json.filter { $0.whatIfModel == nil }.map { "\($0.provider)/\($0.model)" }
            if !unsold.isEmpty { text += "\(target) does not sell: \(unsold.joined(separator: ", ")); the total is unknown.\n" }
            if json.contains(where: { $0.actualUnpricedRows > 0 }) { text += "* some rows were unpriced; their actual cost is unknown.\n" }
            if json.isEmpty { text += "No requests in this period.\n" }
            return text
        }
    }
}
