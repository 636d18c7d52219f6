import ArgumentParser
import Foundation

/// The `tally` command: meters LLM API spend, prices it exactly, and reports it.
@main
struct Tally: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally",
        abstract: "Meter LLM API spend: exact prices, a SQLite ledger, reports and budget alerts.",
        version: "0.1.0",
        subcommands: [
            ReportCommand.self,
            BudgetCommand.self,
            PricesCommand.self,
            EstimateCommand.self,
            LedgerCommand.self,
            ServeCommand.self,
            DemoCommand.self,
        ]
    )

    /// Runs the command; a `budget check` whose arguments do not parse answers UNKNOWN (exit 3),
    /// as monitoring systems expect, instead of the usual usage error.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let isBudgetCheck = arguments.starts(with: ["budget", "check"])
            let code = exitCode(for: error)
            if isBudgetCheck, code != .success, !(error is ExitCode) {
                let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
                FileHandle.standardOutput.write(Data("TALLY UNKNOWN - \(message)\n".utf8))
                Foundation.exit(3)
            }
            exit(withError: error)
        }
    }
}
