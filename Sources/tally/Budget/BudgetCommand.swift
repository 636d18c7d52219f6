import ArgumentParser
import Foundation
import TallyLedger
import TallyPricing

/// `tally budget`: budget alerts for cron and monitoring systems.
struct BudgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget",
        abstract: "Check spend against budgets, with monitoring-plugin exit statuses.",
        subcommands: [BudgetCheck.self]
    )
}

/// `tally budget check`: one status line and perfdata; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
struct BudgetCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the current period's spend against a limit (or every budget of a file).",
        discussion: """
            Follows the monitoring-plugin convention (Nagios, Icinga, Sensu): exit 0 OK, 1 WARNING (at or over \
            the warning share, or forecast over the limit), 2 CRITICAL (over the limit), 3 UNKNOWN (no ledger, \
            an unreadable ledger, bad arguments or a bad budget file), and one status line with perfdata. \
            With --config the worst status wins; each budget's line follows the first.
            """
    )

    // `.unconditional`: "--limit -1" is a (refused) limit, not a missing value.
    @Option(parsing: .unconditional, help: "The limit in USD for the period, e.g. 500 or 12.50.")
    var limit: String?

    @Option(parsing: .unconditional, help: "Warn at this share of the limit, in percent.")
    var warn: String = "80"

    @Option(help: "The budget's period: month or day (the current one, in --tz).")
    var period: String = "month"

    @Option(help: "Only this project's spend.")
    var project: String?

    @Option(help: "Only this user's spend.")
    var user: String?

    @Flag(help: "Also warn when the linear burn rate so far would pass the limit by the period's end.")
    var forecast = false

    @Option(help: "A JSON file of budgets to check at once (see the README), instead of --limit.")
    var config: String?

    @Option(help: ArgumentHelp("The time zone of period boundaries (default: the local zone).", valueName: "zone"))
    var tz: String?

    @OptionGroup var ledger: LedgerOptions

    func run() async throws {
        let (status, text) = await check(now: Date())
        FileHandle.standardOutput.write(Data(text.utf8))
        if status != .ok { throw ExitCode(status.rawValue) }
    }

    /// The status and the lines to print; never throws: every failure is UNKNOWN.
    func check(now: Date) async -> (CheckStatus, String) {
        do {
            let budgets = try self.budgets()
            let zone = try zone()
            guard FileManager.default.fileExists(atPath: ledger.path) else {
                return (.unknown, "TALLY UNKNOWN - no ledger at \(ledger.path)\n")
            }
            let reader = try LedgerReader(path: ledger.path)
            var results: [(BudgetResult, Int64)] = []
            for budget in budgets {
                let range = Self.currentPeriod(budget.period, zone: zone, now: now)
                let summary = try await reader.summary(
                    range: range, groupBy: [], timeZone: zone, filter: Report.Filter(project: budget.project, user: budget.user)
                )
                results.append((BudgetResult(budget: budget, spend: summary.total.cost, period: range, now: now), summary.total.unpricedRows))
            }
            let worst = results.map(\.0.status).max() ?? .ok
            let perfdata = results.map(\.0.perfdata).joined(separator: " ")
            func line(_ result: BudgetResult, unpriced: Int64) -> String {
                result.summary + (unpriced > 0 ? "; \(unpriced) unpriced requests not counted" : "")
            }
            if results.count == 1, let (only, unpriced) = results.first {
                return (worst, "TALLY \(worst.label) - \(line(only, unpriced: unpriced)) | \(perfdata)\n")
            }
            let counts = [CheckStatus.critical, .warning, .ok].compactMap { status -> String? in
                let n = results.filter { $0.0.status == status }.count
                return n == 0 ? nil : "\(n) \(status.label.lowercased())"
            }
            var text = "TALLY \(worst.label) - \(results.count) budgets: \(counts.joined(separator: ", ")) | \(perfdata)\n"
            for (result, unpriced) in results.sorted(by: { $0.0.status > $1.0.status }) {
                text += "\(result.status.label): \(line(result, unpriced: unpriced))\n"
            }
            return (worst, text)
        } catch let failure as Failure {
            return (.unknown, "TALLY UNKNOWN - " + failure.lines.joined(separator: "; ") + "\n")
        } catch let error as LedgerError {
            return (.unknown, "TALLY UNKNOWN - \(error.description)\n")  // the description names the file
        } catch {
            return (.unknown, "TALLY UNKNOWN - \(ledger.path): \(error)\n")
        }
    }

    func zone() throws -> TimeZone {
        guard let tz else { return TimeZone.current }
        guard let zone = TimeZone(identifier: tz) else { throw Failure("--tz \(tz): unknown time zone", status: ExitStatus.usage) }
        return zone
    }

    func budgets() throws -> [Budget] {
        if let config {
            guard limit == nil else { throw Failure("--config and --limit cannot be combined", status: ExitStatus.usage) }
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: config))
            } catch {
                throw Failure("\(config): cannot read the budget file: \(FileProblem.reason(path: config))", status: ExitStatus.io)
            }
            return try BudgetFile.budgets(data, file: config).get()
        }
        guard let limit else { throw Failure("give --limit USD or --config FILE", status: ExitStatus.usage) }
        let amount: Money
        switch AmountText.positiveUSD(limit) {
        case .success(let money): amount = money
        case .failure(let refusal): throw Failure("--limit \(limit): \(refusal.reason)", status: ExitStatus.usage)
        }
        guard let permille = BudgetFile.permille(warn) else {
            throw Failure("--warn \(warn): must be a percentage from 0 to 100", status: ExitStatus.usage)
        }
        for (flag, value) in [("--project", project), ("--user", user)] where value?.isEmpty == true {
            throw Failure("\(flag): is empty; leave the flag out to count every \(flag.dropFirst(2))", status: ExitStatus.usage)
        }
        guard let budgetPeriod = Budget.Period(rawValue: period) else {
            throw Failure("--period \(period): must be month or day", status: ExitStatus.usage)
        }
        return [Budget(name: nil, limit: amount, warnPermille: permille, period: budgetPeriod, project: project, user: user, forecast: forecast)]
    }

    /// The calendar month or day holding `now`, in `zone`.
    static func currentPeriod(_ period: Budget.Period, zone: TimeZone, now: Date) -> Range<Date> {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let unit: Calendar.Component = period == .month ? .month : .day
        guard let interval = calendar.dateInterval(of: unit, for: now) else { return now..<now.addingTimeInterval(1) }
        return interval.start..<interval.end
    }
}
