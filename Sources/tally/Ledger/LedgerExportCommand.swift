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

    @Option(help: ArgumentHelp("Only rows sent at or after this time (YYYY-MM-DD, UTC midnight, or ISO 8601).", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Only rows sent before this time (YYYY-MM-DD, UTC midnight, or ISO 8601).", valueName: "time"))
    var until: String?

    @Option(help: "Output format.")
    var format: Format = .csv

    func run() async throws {
        try await reportingLedgerFailures {
            let since = try self.since.map { try Self.parseTime($0, flag: "--since") }
            let until = try self.until.map { try Self.parseTime($0, flag: "--until") }
            let reader = try LedgerReader(path: options.path)
            var output = OutputBuffer()
            if format == .csv {
                output.append(LedgerText.csvHeader.joined(separator: ",") + "\n")
            }
            try reader.forEachEntry(since: since, until: until) { stored in
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

    static func parseTime(_ text: String, flag: String) throws -> Date {
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = fractional.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let date = day.date(from: text) { return date }
        throw Failure("\(flag) '\(text)': not a date (YYYY-MM-DD) or an ISO 8601 time", status: ExitStatus.usage)
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
