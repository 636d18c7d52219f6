import ArgumentParser
import Foundation
import TallyPricing

/// `tally prices import`: converts other price lists into Tally tables.
struct PricesImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert a public price list into Tally price tables.",
        subcommands: [PricesImportLiteLLM.self]
    )
}

/// `tally prices import litellm FILE`: LiteLLM's `model_prices_and_context_window.json` into `pricing/official/`.
struct PricesImportLiteLLM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "litellm",
        abstract: "Convert LiteLLM's model_prices_and_context_window.json into one official table per provider.",
        discussion: "Prices are converted from the numbers' decimal text, never through floating point. Every table is checked before any file is written."
    )

    @Argument(help: "LiteLLM's price list (JSON).")
    var file: String

    @Option(help: "A provider to import (repeatable); default: \(LiteLLMImporter.defaultProviders.joined(separator: ", ")).")
    var provider: [String] = []

    @Option(help: "The folder to write <provider>.json into.")
    var output = "pricing/official"

    @Option(help: "The date the prices were read, written as the tables' `updated` (YYYY-MM-DD); default today.")
    var updated: String?

    func run() async throws {
        try await reportingFailures {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw Failure("\(file): cannot read the LiteLLM price list", status: ExitStatus.io)
            }
            let day: CalendarDay
            if let updated {
                guard let parsed = CalendarDay(updated) else {
                    throw Failure("--updated \(updated): not a date of the form YYYY-MM-DD", status: ExitStatus.usage)
                }
                day = parsed
            } else {
                day = CalendarDay(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
            }
            let name = URL(filePath: file).lastPathComponent
            let result: LiteLLMImporter.Result
            do {
                result = try LiteLLMImporter.tables(
                    from: data, providers: provider.isEmpty ? LiteLLMImporter.defaultProviders : provider,
                    source: "LiteLLM \(name)", updated: day
                )
            } catch let error as PriceTableError {
                throw Failure(lines: error.problems.map(\.description), status: ExitStatus.data)
            }
            // Check every generated table reads back before writing any of them.
            var outputs: [(path: String, text: String)] = []
            for table in result.tables {
                let text = PriceTableWriter.json(table)
                let path = (output as NSString).appendingPathComponent("\(table.provider).json")
                _ = try PriceTableFiles.book(includingBundled: false, userTables: [PriceBook.Source(origin: path, bytes: Array(text.utf8))])
                outputs.append((path, text))
            }
            do {
                try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            } catch {
                throw Failure("\(output): cannot create the output folder: \(error.localizedDescription)", status: ExitStatus.io)
            }
            for (path, text) in outputs {
                do {
                    try Data(text.utf8).write(to: URL(filePath: path), options: .atomic)
                } catch {
                    throw Failure("\(path): cannot write: \(error.localizedDescription)", status: ExitStatus.io)
                }
            }
            write(Self.summary(result, outputs: outputs.map(\.path)))
        }
    }

    static func summary(_ result: LiteLLMImporter.Result, outputs: [String]) -> String {
        var text = ""
        for summary in result.summaries {
            text += "\(summary.provider): \(summary.imported) models imported (\(summary.aliased) dated snapshots folded into aliases)\n"
            if !summary.skippedModes.isEmpty {
                text += "  not per-token, skipped: " + summary.skippedModes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
            }
            if !summary.skippedUnpriced.isEmpty {
                text += "  no input price, skipped: " + summary.skippedUnpriced.sorted().joined(separator: ", ") + "\n"
            }
            if !summary.fieldsNotImported.isEmpty {
                text += "  price fields not imported: " + summary.fieldsNotImported.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ") + "\n"
            }
            for line in summary.rounded { text += "  rounded: \(line)\n" }
            if !summary.conflicts.isEmpty {
                text += "  listed bare and prefixed with different prices (bare kept): " + summary.conflicts.sorted().joined(separator: ", ") + "\n"
            }
        }
        text += outputs.map { "wrote \($0)\n" }.joined()
        return text
    }
}
