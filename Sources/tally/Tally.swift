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

    /// Runs the command. A usage error is one line on standard error (`tally: ` and the
    /// problem, naming the flag) and exit 64, not argument-parser's four lines of error, help,
    /// usage and a pointer to `--help`; a `budget check` whose arguments do not parse answers
    /// UNKNOWN (exit 3) instead, as monitoring systems expect.
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
            let code = exitCode(for: error)
            // `--help`, `--version` and a deliberate status (a budget alert, a reported failure).
            if code == .success || error is ExitCode { exit(withError: error) }
            let message = Self.oneLine(message(for: error))
            if arguments.starts(with: ["budget", "check"]) {
                FileHandle.standardOutput.write(Data("TALLY UNKNOWN - \(message)\n".utf8))
                Foundation.exit(3)
            }
            FileHandle.standardError.write(Data("tally: \(message)\n".utf8))
            Foundation.exit(code.rawValue)
        }
    }

    /// The first line of an argument-parser message, without its "Error: " prefix.
    static func oneLine(_ message: String) -> String {
        var line = message.split(separator: "\n").first.map(String.init) ?? "invalid arguments"
        if line.hasPrefix("Error: ") { line.removeFirst("Error: ".count) }
        return line.isEmpty ? "invalid arguments" : line
    }
}
