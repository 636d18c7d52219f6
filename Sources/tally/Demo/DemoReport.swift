import Foundation
import TallyLedger
import TallyPricing
import TallyDemo
import TallyUsage

/// The demo's closing report: the month's spend, list cost and savings, by model and by project,
/// read back from the ledger the demo wrote.
struct DemoReport {
    let ledger: Ledger
    let path: String
    let outcome: DemoSimulation.Outcome

    func print() async throws {
        let now = Date()
        let month = BudgetPeriod(.month, in: BudgetPeriod.utc)
        let range = month.range(containing: now)
        let byModel = try await ledger.reader.summary(range: range, groupBy: [.provider, .model])
        let byProject = try await ledger.reader.summary(range: range, groupBy: [.project])

        let outcomes = try await ledger.reader.reduceEntries(since: range.lowerBound, into: [LedgerEntry.Outcome: Int]()) {
            $0[$1.entry.outcome, default: 0] += 1
        }

        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = month.timeZone
        formatter.dateFormat = "MMMM yyyy"

        let outcomeText = LedgerEntry.Outcome.allCases.compactMap { kind in
            outcomes[kind].map { "\($0) \(kind.rawValue)" }
        }.joined(separator: ", ")
        var text = """
            Simulated provider on \(outcome.simulatedAt) (in this process: no network, no API key, nothing billed).
            Sent \(outcome.sent) requests through a metering Gateway over libcurl, \(outcome.streamed) of them streamed.
            Ledger rows: \(outcomeText).

            """
        for failure in outcome.failures { text += "  simulated fault, \(failure)\n" }
        text += "\nSpend in \(formatter.string(from: now)) (UTC), simulated traffic:\n\n"

        var models = TextTable(columns: [
            ("provider", .left), ("model", .left), ("requests", .right), ("input", .right), ("cached", .right), ("output", .right),
            ("reasoning", .right), ("cost", .right), ("list cost", .right), ("savings", .right),
        ])
        for row in byModel.rows {
            models.append([row.provider ?? "-", row.model ?? "-"] + cells(row.totals))
        }
        models.append(["total", ""] + cells(byModel.total))
        text += models.render() + "\n"

        var projects = TextTable(columns: [
            ("project", .left), ("requests", .right), ("input", .right), ("cached", .right), ("output", .right),
            ("reasoning", .right), ("cost", .right), ("list cost", .right), ("savings", .right),
        ])
        for row in byProject.rows {
            projects.append([row.project ?? "(none)"] + cells(row.totals))
        }
        text += projects.render() + "\n"

        let total = byModel.total
        text += "You paid \(MoneyFormat.text(total.cost)) for what the official APIs list at \(MoneyFormat.text(total.listCost))"
        if let savings = total.savings {
            text += ": \(MoneyFormat.text(savings)) saved"
            if total.listCost.nanoUSD > 0 {
                let percent = Exact.divideRoundingHalfEven(Int128(savings.nanoUSD) * 1000, by: Int128(total.listCost.nanoUSD))
                text += " (\(percent / 10).\(abs(percent % 10))%)"
            }
        }
        text += ".\n"
        if total.estimatedRows > 0 {
            text += "\(total.estimatedRows) row(s) carry estimated usage (failed, cut short or cancelled requests).\n"
        }
        text += "\nLedger: \(path)\nLook inside: tally report models --ledger \(path)   (and tally ledger info, tally budget check --limit 1 …)\n"
        Swift.print(text, terminator: "")
    }

    /// The report's columns with the report's meanings (input excludes cached tokens, output
    /// excludes reasoning), so the demo and `tally report` show the same numbers.
    private func cells(_ totals: Report.Totals) -> [String] {
        let listed = ReportView.listed(totals)
        return [
            MoneyFormat.count(totals.requests),
            MoneyFormat.count(totals.usage.input),
            MoneyFormat.count(totals.usage.cachedInput),
            MoneyFormat.count(totals.usage.output),
            MoneyFormat.count(totals.usage.reasoning),
            MoneyFormat.text(totals.cost),
            MoneyFormat.text(listed?.listCost),
            MoneyFormat.text(listed?.savings),
        ]
    }
}
