import ArgumentParser
import Foundation
import TallyLedger

/// `tally ledger status --spool PATH`: how far a spool is behind the shared ledger.
struct LedgerStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show how far a spool is behind the ledger: its instance id, the last row shipped, and the backlog.",
        discussion: "Reads both and writes neither. The backlog is the spool's rows the ledger does not hold, and the age of the oldest."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @Option(help: ArgumentHelp("The spool: a SQLite ledger file.", valueName: "path"))
    var spool: String

    @OptionGroup var options: LedgerOptions

    @Option(help: "Output format.")
    var format: Format = .table

    func validate() throws {
        if spool.isEmpty { throw ValidationError("--spool: the path is empty") }
    }

    func run() async throws {
        try await reportingLedgerFailures {
            let path = try spoolPath(spool)
            guard FileManager.default.fileExists(atPath: path) else {
                throw Failure("\(path): no spool here", status: ExitStatus.io)
            }
            let target = try options.reader()
            let backlog = try await LedgerShipper.backlog(spool: try LedgerReader(location: .file(path)), target: target)
            let age = backlog.oldest.map { max(0, Int64(Date().timeIntervalSince($0))) }
            let fields: [(String, String?, Bool)] = [
                ("spool", path, false),
                ("ledger", target.location, false),
                ("instance", backlog.instance, false),
                ("shipped_through", "\(backlog.through)", true),
                ("unshipped_rows", "\(backlog.rows)", true),
                ("oldest_unshipped", backlog.oldest.map(LedgerText.timestamp), false),
                ("oldest_unshipped_age_seconds", age.map { "\($0)" }, true),
            ]
            switch format {
            case .table:
                for (name, value, _) in fields {
                    print(name.replacingOccurrences(of: "_", with: " ").padding(toLength: 30, withPad: " ", startingAt: 0) + (value ?? "-"))
                }
            case .json:
                let members = fields.map { name, value, numeric in
                    "\(LedgerText.json(name)):" + (value.map { numeric ? $0 : LedgerText.json($0) } ?? "null")
                }
                print("{" + members.joined(separator: ",") + "}")
            }
        }
    }
}
