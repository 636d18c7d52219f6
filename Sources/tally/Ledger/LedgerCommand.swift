import ArgumentParser

/// `tally ledger`: the ledger itself, a file or a PostgreSQL database.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Describe, migrate, verify, export and copy the ledger.",
        subcommands: [
            LedgerInfoCommand.self,
            LedgerMigrateCommand.self,
            LedgerVerifyCommand.self,
            LedgerExportCommand.self,
            LedgerRepriceCommand.self,
            LedgerCopyCommand.self,
            LedgerShipCommand.self,
            LedgerStatusCommand.self,
        ]
    )
}
