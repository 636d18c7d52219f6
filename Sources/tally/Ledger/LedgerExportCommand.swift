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
    var since: DateArgument?

    @Option(help: ArgumentHelp("Only rows sent before this time (YYYY-MM-DD, UTC midnight, or ISO 8601).", valueName: "time"))
    var until: DateArgument?

    @Option(help: "Output format.")
    var format: Format = .csv

    func run() async throws {
        try await reportingLedgerFailures {
            let reader = try LedgerReader(path: options.path)
            var output = OutputBuffer()
            if format == .csv {
                output.append(LedgerText.csvHeader.joined(separator: ",") + "\n")
            }
            try reader.forEachEntry(since: since?.date, until: until?.date) { stored in
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
