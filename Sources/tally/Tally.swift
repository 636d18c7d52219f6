import ArgumentParser

/// The `tally` command: meters LLM API spend, prices it exactly, and reports it.
@main
struct Tally: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally",
        abstract: "Meter LLM API spend: exact prices, a SQLite ledger, reports and budget alerts.",
        version: "0.1.0",
        subcommands: [
            PricesCommand.self,
            EstimateCommand.self,
            LedgerCommand.self,
            DemoCommand.self,
        ]
    )
}
