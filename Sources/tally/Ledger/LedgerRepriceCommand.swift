import ArgumentParser
import Foundation
import TallyLedger
import TallyPricing

/// `tally ledger reprice`: correct past rows after a price change, by appending adjustments.
struct LedgerRepriceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reprice",
        abstract: "Re-price past requests under the current tables and append an adjustment for each that changed.",
        discussion: """
            Rows are never updated: each changed request gets one `adjustment` row with the difference in \
            cost and list cost, dated like the request, so reports of its period add up to the new prices. \
            Running it again with the same tables appends nothing. Safe while other processes write the ledger.
            """
    )

    @OptionGroup var period: PeriodOptions

    @Flag(help: "Show what would change without appending anything.")
    var dryRun = false

    @OptionGroup var pricing: PricingOptions
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        guard period.since != nil || period.month != nil else {
            throw ValidationError("give the period to re-price: --since DATE [--until DATE], or --month YYYY-MM")
        }
    }

    struct SummaryJSON: Encodable {
        var examined, changed, appended, unpriced: Int
        var costDelta, listCostDelta: MoneyJSON
        var dryRun: Bool
        enum CodingKeys: String, CodingKey {
            case examined, changed, appended, unpriced
            case costDelta = "cost_delta", listCostDelta = "list_cost_delta", dryRun = "dry_run"
        }
    }

    func run() async throws {
        try await reportingLedgerFailures {
            let book = try pricing.loadBook()
            let range = try period.resolve().range
            let location = try ledger.existingLocation()
            let summary: Ledger.RepriceSummary
            if dryRun {
                // Read-only: a dry run must work without write access.
                summary = try await LedgerReader(location: location).repriceDryRun(range: range, prices: book)
            } else {
                let opened = try await Ledger.open(location, prices: book)
                summary = try await opened.whileRunning { try await opened.reprice(range: range, prices: book) }
            }
            let json = SummaryJSON(
                examined: summary.examined, changed: summary.changed, appended: summary.appended, unpriced: summary.unpriced,
                costDelta: MoneyJSON(summary.costDelta), listCostDelta: MoneyJSON(summary.listCostDelta), dryRun: dryRun
            )
            switch output.format {
            case .json:
                write(try JSONOutput.encode(json))
            case .csv:
                var csv = CSVWriter(header: ["examined", "changed", "appended", "unpriced", "cost_delta_usd", "list_cost_delta_usd", "dry_run"])
                csv.append([String(json.examined), String(json.changed), String(json.appended), String(json.unpriced), json.costDelta.usd, json.listCostDelta.usd, String(dryRun)])
                write(csv.text)
            case .table:
                var text = "\(summary.examined) requests examined, \(summary.changed) priced differently"
                text += dryRun ? " (dry run: nothing appended)" : ", \(summary.appended) adjustment rows appended"
                text += ".\nCost changes by \(MoneyFormat.text(summary.costDelta)), list cost by \(MoneyFormat.text(summary.listCostDelta)).\n"
                if summary.unpriced > 0 { text += "\(summary.unpriced) requests have no price in these tables and were left as they are.\n" }
                write(text)
            }
        }
    }
}
