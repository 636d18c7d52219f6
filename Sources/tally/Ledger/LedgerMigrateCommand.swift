import ArgumentParser
import TallyLedger
import TallyPricing

/// `tally ledger migrate`: creates the ledger or brings its schema up to date.
struct LedgerMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create the ledger, or apply the migrations it lacks (in transactions: interrupted, it starts again cleanly).",
        discussion: "Like every open for writing, it also records requests left in flight by processes that are gone as interrupted, priced with the bundled tables and --pricing's."
    )

    @OptionGroup var options: LedgerOptions

    @OptionGroup var pricing: PricingOptions

    func run() async throws {
        try await reportingLedgerFailures {
            if case .postgres(let address) = try options.location() {
                let (before, after) = try await PostgresLedgerStore(address: address).migrate()
                let how = before.map { $0 == after ? "up to date" : "migrated from \($0)" } ?? "created"
                print("\(address): schema version \(after) (\(how))")
                return
            }
            let path = try options.path()
            let before = try? await LedgerReader.info(path: path).schemaVersion
            // Requests left in flight by processes that are gone are priced with these tables.
            let book = try pricing.loadBook()
            // A migration that rebuilds the rollups reads every row: a 10M-row ledger takes a few minutes.
            let bar = ProgressBar("\(path): rebuilding rollups")
            let ledger: Ledger
            do {
                defer { bar.finish() }
                ledger = try Ledger(
                    path: path, migrations: Migration.sqlite, prices: book,
                    migrationProgress: { done, total in bar.update(done, of: total) }
                )
            }
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
