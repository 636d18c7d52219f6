import ArgumentParser
import Foundation
import TallyLedger
import TallyPricing

/// `tally report`: spend, list cost and savings over a period, broken down.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report spend, list cost and savings from the ledger.",
        subcommands: [ReportMonthly.self, ReportDaily.self, ReportModels.self, ReportProjects.self, ReportUsers.self, ReportWhatIf.self],
        defaultSubcommand: ReportMonthly.self
    )
}

/// The options every breakdown report shares.
struct ReportOptions: ParsableArguments {
    @OptionGroup var period: PeriodOptions

    @Option(help: ArgumentHelp("Nested breakdowns, comma-separated: model, provider, project, user, tag.", valueName: "dimensions"))
    var by: String?

    @Option(help: "Only this project.")
    var project: String?

    @Option(help: "Only this user.")
    var user: String?

    @Option(help: "Only this provider.")
    var provider: String?

    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var output: FormatOptions

    /// `--by` as dimensions, or a usage failure naming the unknown one.
    func dimensions() throws -> [Report.Dimension] {
        guard let by else { return [] }
        return try by.split(separator: ",").map { part in
            let name = part.trimmingCharacters(in: .whitespaces).lowercased()
            guard let dimension = Report.Dimension(rawValue: name), dimension != .month, dimension != .day else {
                throw Failure("--by \(name): not a breakdown (use model, provider, project, user or tag)", status: ExitStatus.usage)
            }
            return dimension
        }
    }

    /// Reads the breakdown, `base` first then `--by`, and prints it.
    func run(base: [Report.Dimension], chart: Bool = false) async throws {
        try await reportingLedgerFailures {
            let period = try self.period.resolve()
            var groups = base
            for dimension in try dimensions() where !groups.contains(dimension) { groups.append(dimension) }
            let filter = Report.Filter(provider: provider, project: project, user: user)
            let summary = try await ledger.reader().summary(range: period.range, groupBy: groups, timeZone: period.timeZone, filter: filter)
            let report = ReportView(summary: summary, groups: groups, period: period)
            switch output.format {
            case .json: write(try JSONOutput.encode(report.json))
            case .csv: write(report.csv)
            case .table: write(chart ? report.chart(colour: Terminal.colourEnabled) : report.table(colour: Terminal.colourEnabled))
            }
        }
    }
}

struct ReportMonthly: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "monthly", abstract: "Totals per month (the default report).")
    @OptionGroup var options: ReportOptions
    func run() async throws { try await options.run(base: [.month]) }
}

struct ReportDaily: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "daily", abstract: "Totals per day; --chart draws spend per day against list cost.")
    @OptionGroup var options: ReportOptions
    @Flag(help: "A terminal bar chart of spend per day, with the list cost beside it.")
    var chart = false
    func validate() throws {
        if chart, options.by != nil { throw ValidationError("--chart draws one bar per day and cannot be combined with --by") }
    }
    func run() async throws { try await options.run(base: [.day], chart: chart) }
}

struct ReportModels: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "Totals per model.")
    @OptionGroup var options: ReportOptions
    func run() async throws { try await options.run(base: [.model]) }
}

struct ReportProjects: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "projects", abstract: "Totals per project.")
    @OptionGroup var options: ReportOptions
    func run() async throws { try await options.run(base: [.project]) }
}

struct ReportUsers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "users", abstract: "Totals per user.")
    @OptionGroup var options: ReportOptions
    func run() async throws { try await options.run(base: [.user]) }
}

/// Whether output may be coloured: a terminal, and no `NO_COLOR`.
enum Terminal {
    static var colourEnabled: Bool {
        isatty(STDOUT_FILENO) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
            && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    static func green(_ text: String, _ on: Bool) -> String { on ? "\u{1B}[32m\(text)\u{1B}[0m" : text }
    static func yellow(_ text: String, _ on: Bool) -> String { on ? "\u{1B}[33m\(text)\u{1B}[0m" : text }
    static func red(_ text: String, _ on: Bool) -> String { on ? "\u{1B}[31m\(text)\u{1B}[0m" : text }
    static func bold(_ text: String, _ on: Bool) -> String { on ? "\u{1B}[1m\(text)\u{1B}[0m" : text }
}
