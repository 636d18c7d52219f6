import ArgumentParser
import TallyLedger

/// `tally ledger migrate`: creates the ledger or brings its schema up to date.
struct LedgerMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create the ledger, or apply the migrations it lacks (each in its own transaction)."
    )

    @OptionGroup var options: LedgerOptions

    func run() async throws {
        try await reportingLedgerFailures {
            let path = options.path
            let before = try? LedgerReader.info(path: path).schemaVersion
            let ledger = try Ledger(path: path)
            var line = "\(path): schema version \(ledger.schemaVersion)"
            if let before, before != ledger.schemaVersion {
                line += " (migrated from \(before))"
            } else if before == nil {
                line += " (created)"
            } else {
                line += " (up to date)"
            }
            if !ledger.recoveredAtOpen.isEmpty {
                line += "; recovered \(ledger.recoveredAtOpen.count) interrupted request(s)"
            }
            print(line)
        }
    }
}
