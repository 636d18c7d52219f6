import ArgumentParser
import Foundation
import TallyLedger
import TallyPricing
import TallyTestSupport
import TallyUsage

/// `tally-bench ledger`: builds a synthetic ledger and measures batched appends, one awaited
/// append (journal finish included), group commit under concurrent callers, and report queries.
struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Ledger appends and report queries over a synthetic 12-month ledger."
    )

    @Option(help: "Rows in the synthetic ledger.")
    var rows = 10_000_000

    @Option(help: "Rows per append(contentsOf:) batch while building.")
    var batch = 50_000

    @Option(help: "Awaited begin/finish pairs to time.")
    var samples = 20_000

    @Option(help: "Where to build the ledger (default: a new temporary directory, removed afterwards).")
    var directory: String?

    @Option(help: "Times each report query runs.")
    var repeats = 5

    @Flag(inversion: .prefixedNo, help: "Whether to time the report queries.")
    var reports = true

    @Option(help: "The tally executable to time whole `tally report` processes with (default: the one beside tally-bench; skipped when missing).")
    var tally: String?

    @Option(help: ArgumentHelp(
        "The ledger to build: a postgres:// URL of an empty database, or `postgres` for a throwaway local cluster with durable commits (default: a SQLite file in --directory).",
        valueName: "url"
    ))
    var ledger: String?

    func run() async throws {
        let base = directory ?? NSTemporaryDirectory() + "tally-bench-ledger-\(getpid())"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: base) } }
        let path = base + "/ledger.sqlite"
        var cluster: PostgresServer?
        defer { cluster?.stop() }
        let argument: String
        switch self.ledger {
        case "postgres"?:
            let server = try PostgresServer(durable: true)
            cluster = server
            try server.createDatabase("bench")
            argument = server.url(database: "bench")
        case let url?:
            argument = url
        case nil:
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            argument = path
        }
        let location = try LedgerLocation(argument)
        let ledger = try await Ledger.open(location)
        try await ledger.whileRunning { try await measure(ledger, location: location, argument: argument) }
    }

    /// The appends, then (with `--reports`) the report queries and the matrix.
    private func measure(_ ledger: Ledger, location: LedgerLocation, argument: String) async throws {
        var synthetic = SyntheticLedger()
        let store = { if case .postgres = location { "postgres" } else { "sqlite" } }()

        // Batched appends: one transaction per batch of `batch` rows.
        var appendSeconds = 0.0
        var appendCPUSeconds = 0.0
        var generateSeconds = 0.0
        var written = 0
        while written < rows {
            let count = min(batch, rows - written)
            let generated = ContinuousClock.now
            let entries = (written..<(written + count)).map { synthetic.entry($0, of: rows) }
            generateSeconds += seconds(since: generated)
            let appended = ContinuousClock.now
            let cpu = Self.cpuSeconds()
            try await ledger.append(contentsOf: entries)
            appendSeconds += seconds(since: appended)
            appendCPUSeconds += Self.cpuSeconds() - cpu
            written += count
        }
        emit([
            "bench": "ledger.append.batched", "store": store, "rows": written, "batch": batch,
            "seconds": appendSeconds, "rows_per_second": Double(written) / appendSeconds,
            "generate_seconds": generateSeconds, "cpu_seconds": appendCPUSeconds,
            "rows_per_cpu_second": Double(written) / appendCPUSeconds, "load_average": Self.loadAverage(),
        ])

        // One awaited append: begin (journal) then finish (row + journal delete), each awaited alone.
        var beginTimes: [Double] = []
        var finishTimes: [Double] = []
        beginTimes.reserveCapacity(samples)
        finishTimes.reserveCapacity(samples)
        for index in 0..<samples {
            var entry = synthetic.entry(rows + index, of: rows)
            let request = InFlightRequest(
                id: entry.id, timestamp: entry.timestamp, provider: entry.provider, model: entry.modelRequested,
                endpoint: entry.endpoint, estimatedInputTokens: entry.usage.input, attribution: entry.attribution
            )
            let begun = ContinuousClock.now
            let ticket = try await ledger.begin(request)
            beginTimes.append(seconds(since: begun))
            entry.id = request.id
            let finished = ContinuousClock.now
            try await ledger.append(completing: ticket, with: entry)
            finishTimes.append(seconds(since: finished))
        }
        var finish = latency("ledger.finish.awaited", finishTimes)
        finish["load_average"] = Self.loadAverage()
        finish["store"] = store
        emit(finish)
        var begin = latency("ledger.begin.awaited", beginTimes)
        begin["store"] = store
        emit(begin)

        // Group commit: 64 callers each awaiting their own appends, concurrently, with the
        // timestamps of live traffic (continuing after the rows above).
        let callers = 64
        let perCaller = max(1, samples / callers * 4)
        let concurrent = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<callers {
                var local = SyntheticLedger(seed: UInt64(caller + 1))
                let first = rows + samples + caller
                let entries = (0..<perCaller).map { local.entry(first + $0 * callers, of: rows) }
                group.addTask {
                    for entry in entries { try await ledger.append(entry) }
                }
            }
            try await group.waitForAll()
        }
        let concurrentSeconds = seconds(since: concurrent)
        emit([
            "bench": "ledger.append.group_commit", "store": store, "callers": callers, "rows": callers * perCaller,
            "seconds": concurrentSeconds, "rows_per_second": Double(callers * perCaller) / concurrentSeconds,
        ])

        guard reports else { return }
        // Report queries over the whole year.
        let reader = try LedgerReader(location: location)
        let year = synthetic.start..<synthetic.start.addingTimeInterval(synthetic.span)
        let queries: [(String, [Report.Dimension], String)] = [
            ("ledger.report.month_by_model", [.month, .model], "UTC"),
            ("ledger.report.month_by_model", [.month, .model], "Asia/Bangkok"),
            ("ledger.report.month_by_model", [.month, .model], "America/New_York"),
            ("ledger.report.day_by_provider", [.day, .provider], "Europe/Paris"),
            ("ledger.report.month_by_project", [.month, .project], "Asia/Bangkok"),
            ("ledger.report.month_by_model", [.month, .model], "Asia/Kolkata"),
        ]
        for (name, dimensions, zone) in queries {
            guard let timeZone = TimeZone(identifier: zone) else { continue }
            var times: [Double] = []
            var cpuTimes: [Double] = []
            var summary: Report.Summary?
            let runs = zone == "Asia/Kolkata" ? 1 : repeats
            for _ in 0..<runs {
                let started = ContinuousClock.now
                let cpu = Self.cpuSeconds()
                summary = try await reader.summary(range: year, groupBy: dimensions, timeZone: timeZone)
                times.append(seconds(since: started))
                cpuTimes.append(Self.cpuSeconds() - cpu)
            }
            times.sort()
            cpuTimes.sort()
            emit([
                "bench": name, "store": store, "time_zone": zone, "ledger_rows": written, "result_rows": summary?.rows.count ?? 0,
                "source": summary?.source.rawValue ?? "", "runs": runs,
                "ms_min": times.first.map { $0 * 1000 } ?? 0, "ms_median": times[times.count / 2] * 1000,
                "ms_max": (times.last ?? 0) * 1000, "cpu_ms_median": cpuTimes[cpuTimes.count / 2] * 1000,
                "load_average": Self.loadAverage(),
            ])
        }
        let info = try await reader.info()
        emit(["bench": "ledger.file", "store": store, "rows": info.rows ?? 0, "bytes": info.bytes])
        emit(try await Self.rollupSizes(reader))

        // The matrix of views × zones over one month, with its targets.
        let executable = tally ?? URL(filePath: CommandLine.arguments[0]).deletingLastPathComponent().appending(path: "tally").path
        let matrix = ReportMatrix(
            location: location, argument: argument, repeats: repeats, tally: FileManager.default.isExecutableFile(atPath: executable) ? executable : nil, emit: emit
        )
        let misses = try await matrix.run()
        emit(["bench": "ledger.report_matrix.summary", "cells_missed": misses.count, "misses": misses])
        if !misses.isEmpty {
            FileHandle.standardError.write(Data(("tally-bench ledger: targets missed:\n" + misses.map { "  \($0)\n" }.joined()).utf8))
            throw ExitCode(1)
        }
    }

    /// Rollup rows per grain, and the bytes each rollup table and the rows take.
    static func rollupSizes(_ reader: LedgerReader) async throws -> [String: any Sendable] {
        let footprint = try await reader.rollupFootprint()
        var fields: [String: any Sendable] = ["bench": "ledger.rollups"]
        for (grain, rows) in footprint.rowsByGrain { fields["grain_\(grain)_rows"] = rows }
        for (table, bytes) in footprint.bytesByTable { fields["\(table)_bytes"] = bytes }
        return fields
    }

    /// User and system CPU time of the whole process (every thread), in seconds.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// The 1-minute load average: how busy the shared machine was.
    static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").first.map(String.init) ?? ""
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private func latency(_ name: String, _ samples: [Double]) -> [String: any Sendable] {
        let sorted = samples.sorted()
        func percentile(_ p: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000
        }
        return ["bench": name, "samples": sorted.count, "ms_p50": percentile(0.5), "ms_p99": percentile(0.99),
                "ms_p999": percentile(0.999), "ms_max": (sorted.last ?? 0) * 1000]
    }

    /// Prints one JSON object on one line.
    private func emit(_ fields: [String: any Sendable]) {
        var object: [String: Any] = [:]
        for (key, value) in fields {
            if let double = value as? Double { object[key] = (double * 1000).rounded() / 1000 } else { object[key] = value }
        }
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
           let line = String(data: data, encoding: .utf8) {
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }
}
