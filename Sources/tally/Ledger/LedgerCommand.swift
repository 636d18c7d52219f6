import ArgumentParser

/// `tally ledger`: the ledger file itself.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Describe, migrate, verify and export the SQLite ledger.",
        subcommands: [
            LedgerInfoCommand.self,
            LedgerMigrateCommand.self,
            LedgerVerifyCommand.self,
            LedgerExportCommand.self,
            LedgerRepriceCommand.self,
        ]
    )
}
