import Foundation
import TallyLedger

/// The report matrix of `tally-bench ledger`: every view the CLI offers, over one local month,
/// in zones of every kind of offset (whole hours, half and quarter hours, a DST month, a
/// half-hour DST), timed in process and, when the `tally` executable is beside the bench, as
/// whole `tally report` processes; plus `tally budget check --project`.
struct ReportMatrix {
    /// A view: its `tally report` subcommand and `--by`, and the dimensions it reads.
    struct View {
        var name: String
        var command: [String]
        var groupBy: [Report.Dimension]
    }

    static let views = [
        View(name: "monthly", command: ["monthly"], groupBy: [.month]),
        View(name: "daily", command: ["daily"], groupBy: [.day]),
        View(name: "models", command: ["models"], groupBy: [.model]),
        View(name: "projects", command: ["projects"], groupBy: [.project]),
        View(name: "users", command: ["users"], groupBy: [.user]),
        View(name: "by_tag", command: ["monthly", "--by", "tag"], groupBy: [.month, .tag]),
        View(name: "by_project_and_model", command: ["monthly", "--by", "project,model"], groupBy: [.month, .project, .model]),
    ]

    /// Each zone with the month it is measured in: a DST change for New York and Lord Howe.
    static let zones: [(zone: String, month: String)] = [
        ("UTC", "2025-03"), ("Asia/Ho_Chi_Minh", "2025-03"), ("Asia/Kolkata", "2025-03"), ("Asia/Kathmandu", "2025-03"),
        ("America/New_York", "2025-03"), ("Australia/Lord_Howe", "2025-04"),
    ]

    /// The targets: a query in process, a whole `tally report`, a whole `tally budget check
    /// --project`; a PostgreSQL ledger's are looser (each query and process connects over
    /// the network and authenticates).
    var queryTargetMs: Double { isPostgres ? 100 : 50 }
    var processTargetMs: Double { isPostgres ? 300 : 150 }
    var budgetTargetMs: Double { isPostgres ? 300 : 100 }

    var location: LedgerLocation
    /// What `--ledger` takes for it: the path or the URL.
    var argument: String
    var repeats: Int
    /// The `tally` executable, when there is one to time whole processes with.
    var tally: String?
    var emit: ([String: any Sendable]) -> Void

    private var isPostgres: Bool {
        if case .postgres = location { true } else { false }
    }

    /// Runs the matrix; returns the cells that missed a target, one line each.
    func run() async throws -> [String] {
        let reader = try LedgerReader(location: location)
        var misses: [String] = []
        for (zoneName, month) in Self.zones {
            guard let zone = TimeZone(identifier: zoneName) else { continue }
            let range = try Self.month(month, in: zone)
            for view in Self.views {
                var times: [Double] = []
                var summary: Report.Summary?
                for _ in 0..<max(1, repeats) {
                    let started = ContinuousClock.now
                    summary = try await reader.summary(range: range, groupBy: view.groupBy, timeZone: zone)
                    times.append(Self.milliseconds(since: started))
                }
                times.sort()
                let median = times[times.count / 2]
                var cell: [String: any Sendable] = [
                    "bench": "ledger.report_matrix", "store": isPostgres ? "postgres" : "sqlite", "view": view.name, "time_zone": zoneName, "month": month,
                    "result_rows": summary?.rows.count ?? 0, "source": summary?.source.rawValue ?? "",
                    "ms_min": times.first ?? 0, "ms_median": median, "target_ms": queryTargetMs,
                ]
                if median > queryTargetMs { misses.append("\(view.name) in \(zoneName): query \(Self.rounded(median)) ms") }
                if let tally {
                    let process = try Self.timeProcess(tally, ["report"] + view.command + ["--ledger", argument, "--month", month, "--tz", zoneName])
                    cell["process_ms_min"] = process
                    cell["process_target_ms"] = processTargetMs
                    if process > processTargetMs { misses.append("\(view.name) in \(zoneName): tally report \(Self.rounded(process)) ms") }
                }
                emit(cell)
            }
            if let tally {
                let budget = try Self.timeProcess(
                    tally, ["budget", "check", "--limit", "100", "--project", "project-0", "--ledger", argument, "--tz", zoneName], allowedStatuses: [0, 1, 2]
                )
                emit(["bench": "ledger.budget_check_project", "time_zone": zoneName, "process_ms_min": budget, "target_ms": budgetTargetMs])
                if budget > budgetTargetMs { misses.append("budget check --project in \(zoneName): \(Self.rounded(budget)) ms") }
            }
        }
        return misses
    }

    /// The local month "YYYY-MM" in `zone`.
    static func month(_ text: String, in zone: TimeZone) throws -> Range<Date> {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, let start = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: 1)),
              let end = calendar.date(byAdding: .month, value: 1, to: start)
        else { throw BenchFailure("not a month: \(text)") }
        return start..<end
    }

    /// The fastest of three runs of a whole process (after one unmeasured run for the page
    /// cache), in milliseconds; its exit status must be one of `allowedStatuses`.
    static func timeProcess(_ executable: String, _ arguments: [String], allowedStatuses: Set<Int32> = [0]) throws -> Double {
        var best = Double.infinity
        for run in 0..<4 {
            let process = Process()
            process.executableURL = URL(filePath: executable)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            let started = ContinuousClock.now
            try process.run()
            process.waitUntilExit()
            let elapsed = milliseconds(since: started)
            guard allowedStatuses.contains(process.terminationStatus) else {
                throw BenchFailure("\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
            }
            if run > 0 { best = min(best, elapsed) }
        }
        return best
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }

    static func rounded(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// A benchmark that could not run as asked.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
