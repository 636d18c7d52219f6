import ArgumentParser
import Foundation
import TallyLedger

/// `tally ledger info`: location, schema version, rows, first and last request, size.
struct LedgerInfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the ledger's location, schema version, rows, first and last request, and size."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @OptionGroup var options: LedgerOptions

    @Option(help: "Output format.")
    var format: Format = .table

    func run() async throws {
        try await reportingLedgerFailures {
            let info = try await LedgerReader.info(location: try options.location())
            let fields: [(String, String?)] = [
                ("location", info.location),
                ("schema_version", "\(info.schemaVersion)"),
                ("latest_schema_version", "\(info.latestSchemaVersion)"),
                ("rows", info.rows.map { "\($0)" }),
                ("first_request", info.firstRequest.map(LedgerText.timestamp)),
                ("last_request", info.lastRequest.map(LedgerText.timestamp)),
                ("in_flight", info.journalRows.map { "\($0)" }),
                ("bytes", "\(info.bytes)"),
            ]
            switch format {
            case .table:
                var text = ""
                for (name, value) in fields {
                    text += name.replacingOccurrences(of: "_", with: " ").padding(toLength: 22, withPad: " ", startingAt: 0)
                        + (value ?? "-") + "\n"
                }
                if info.schemaVersion < info.latestSchemaVersion {
                    text += "schema is older than this tally's: run `tally ledger migrate`\n"
                }
                print(text, terminator: "")
            case .json:
                let numeric: Set<String> = ["schema_version", "latest_schema_version", "rows", "in_flight", "bytes"]
                let members = fields.map { name, value in
                    "\(LedgerText.json(name)):" + (value.map { numeric.contains(name) ? $0 : LedgerText.json($0) } ?? "null")
                }
                print("{" + members.joined(separator: ",") + "}")
            }
        }
    }
}
