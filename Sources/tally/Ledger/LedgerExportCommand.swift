import ArgumentParser
import Foundation
import TallyLedger
import TallyPricing

/// `tally ledger export`: every row, as CSV or JSON lines, on standard output.
struct LedgerExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the ledger's rows as CSV or JSON lines to standard output, in append order.",
        discussion: "Amounts are exact decimal USD; an empty cost means unpriced, an empty list cost unknown."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case csv, jsonl
    }

    @OptionGroup var options: LedgerOptions

    @Option(help: ArgumentHelp("Only rows sent at or after this time: a day (YYYY-MM-DD, its start in UTC) or an ISO 8601 time.", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Only rows sent up to this time: a day (YYYY-MM-DD, included whole, in UTC) or an ISO 8601 time (excluded).", valueName: "time"))
    var until: String?

    @Option(help: "Output format.")
    var format: Format = .csv

    func run() async throws {
        try await reportingLedgerFailures {
            // The same --since/--until rule as `tally report`, with days in UTC.
            var utc = Calendar(identifier: .gregorian)
            utc.timeZone = TimeZone(identifier: "UTC") ?? utc.timeZone
            let start = try since.map { try PeriodOptions.instant($0, flag: "--since", calendar: utc, endOfDay: false) }
            let end = try until.map { try PeriodOptions.instant($0, flag: "--until", calendar: utc, endOfDay: true) }
            let reader = try options.reader()
            var header = OutputBuffer()
            if format == .csv {
                header.append(LedgerText.csvHeader.joined(separator: ",") + "\n")
            }
            let format = self.format
            var output = try await reader.reduceEntries(since: start, until: end, into: header) { output, stored in
                let fields = LedgerText.fields(seq: stored.seq, entry: stored.entry)
                switch format {
                case .csv:
                    output.append(fields.map { LedgerText.csv($0.value.text) }.joined(separator: ",") + "\n")
                case .jsonl:
                    output.append("{" + fields.map { "\(LedgerText.json($0.name)):\($0.value.json)" }.joined(separator: ",") + "}\n")
                }
            }
            output.flush()
        }
    }
}

/// Standard output in 64 KiB writes.
struct OutputBuffer {
    private var bytes: [UInt8] = []

    mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        if bytes.count >= 65_536 { flush() }
    }

    mutating func flush() {
        guard !bytes.isEmpty else { return }
        FileHandle.standardOutput.write(Data(bytes))
        bytes.removeAll(keepingCapacity: true)
    }
}
