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
            the warning share, or forecast to reach the limit), 2 CRITICAL (spent: at or over the limit, when \
            tally serve refuses the budget's requests), 3 UNKNOWN (no ledger, an unreadable ledger, bad \
            arguments or a bad budget file), and one status line with perfdata. Periods are calendar months \
            or days in UTC unless --tz (or a budget's own "tz") says otherwise, as in tally serve. --config \
            reads a budget file or tally serve's configuration file (its "budgets"); the worst status wins, \
            and each budget's line follows the first.
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

    @Option(help: "A JSON file of budgets to check at once (a budget file, or tally serve's configuration), instead of --limit.")
    var config: String?

    @OptionGroup var zone: TimeZoneOption<BudgetTimeZone>

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
            let location = try ledger.location()
            if case .file(let path) = location, !FileManager.default.fileExists(atPath: path) {
                return (.unknown, "TALLY UNKNOWN - no ledger at \(path)\n")
            }
            let reader = try LedgerReader(location: location)
            var results: [BudgetStanding] = []
            for budget in budgets {
                results.append(try await reader.standing(of: budget, at: now))
            }
            let worst = results.map(\.status).max() ?? .ok
            let perfdata = results.map(\.perfdata).joined(separator: " ")
            func line(_ result: BudgetStanding) -> String {
                result.summary + (result.unpricedRows > 0 ? "; \(result.unpricedRows) unpriced requests not counted" : "")
            }
            if results.count == 1, let only = results.first {
                return (worst, "TALLY \(worst.label) - \(line(only)) | \(perfdata)\n")
            }
            let counts = [CheckStatus.critical, .warning, .ok].compactMap { status -> String? in
                let n = results.filter { $0.status == status }.count
                return n == 0 ? nil : "\(n) \(status.label.lowercased())"
            }
            var text = "TALLY \(worst.label) - \(results.count) budgets: \(counts.joined(separator: ", ")) | \(perfdata)\n"
            for result in results.sorted(by: { $0.status > $1.status }) {
                text += "\(result.status.label): \(line(result))\n"
            }
            return (worst, text)
        } catch let failure as Failure {
            return (.unknown, "TALLY UNKNOWN - " + failure.lines.joined(separator: "; ") + "\n")
        } catch let error as LedgerError {
            return (.unknown, "TALLY UNKNOWN - \(error.description)\n")  // the description names the file
        } catch {
            return (.unknown, "TALLY UNKNOWN - \(LedgerLocation.resolve(explicit: ledger.ledger)): \(error)\n")
        }
    }

    /// The budgets to check: the file's, or the one the flags describe; periods in `--tz` unless a budget names its own.
    func budgets() throws -> [Budget] {
        let timeZone = try zone.timeZone()
        if let config {
            guard limit == nil else { throw Failure("--config and --limit cannot be combined", status: ExitStatus.usage) }
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: config))
            } catch {
                throw Failure("\(config): cannot read the budget file: \(FileProblem.reason(path: config))", status: ExitStatus.io)
            }
            do {
                return try BudgetFile.load(data, file: config, defaultZone: timeZone)
            } catch {
                throw Failure(lines: error.problems, status: ExitStatus.data)
            }
        }
        guard let limit else { throw Failure("give --limit USD or --config FILE", status: ExitStatus.usage) }
        let amount: Money
        switch AmountText.positiveUSD(limit) {
        case .success(let money): amount = money
        case .failure(let refusal): throw Failure("--limit \(limit): \(refusal.reason)", status: ExitStatus.usage)
        }
        guard let permille = AmountText.permille(warn) else {
            throw Failure("--warn \(warn): must be a percentage from 0 to 100", status: ExitStatus.usage)
        }
        for (flag, value) in [("--project", project), ("--user", user)] where value?.isEmpty == true {
            throw Failure("\(flag): is empty; leave the flag out to count every \(flag.dropFirst(2))", status: ExitStatus.usage)
        }
        guard let unit = BudgetPeriod.Unit(rawValue: period) else {
            throw Failure("--period \(period): must be month or day", status: ExitStatus.usage)
        }
        return [Budget(
            name: nil, limit: amount, warnPermille: permille, period: BudgetPeriod(unit, in: timeZone), project: project, user: user, forecast: forecast
        )]
    }
}
