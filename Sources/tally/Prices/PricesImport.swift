import ArgumentParser
import Foundation
import TallyPricing

/// `tally prices import`: converts other price lists into Tally tables.
struct PricesImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert a public price list into Tally price tables.",
        subcommands: [PricesImportLiteLLM.self, PricesImportGenAIPrices.self, PricesImportOfficial.self]
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
            let day = try PriceTableFiles.day(updated, flag: "--updated")
            let result = try PriceTableFiles.importLiteLLM(file, providers: provider.isEmpty ? LiteLLMImporter.defaultProviders : provider, updated: day)
            let written = try PriceTableFiles.write(result.tables, to: output)
            write(Self.summary(result, outputs: written))
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
            for line in summary.skippedInvalid { text += "  skipped: \(line)\n" }
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

/// `tally prices import genai-prices FILE`: the genai-prices data, with its dated price changes and tiers.
struct PricesImportGenAIPrices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genai-prices",
        abstract: "Convert the genai-prices data (JSON) into one official table per provider, with dated price history and tiers.",
        discussion: "Match clauses other than `equals`, time-of-day prices, non-token prices and price variants are listed as not imported."
    )

    @Argument(help: "The genai-prices data as JSON.")
    var file: String

    @Option(help: "A provider to import, by genai-prices id or Tally name (repeatable); default the six official ones.")
    var provider: [String] = []

    @Option(help: "The folder to write <provider>.json into.")
    var output = "genai-prices-tables"

    @Option(help: "The date the prices were read, written as the tables' `updated` (YYYY-MM-DD); default today.")
    var updated: String?

    func run() async throws {
        try await reportingFailures {
            let day = try PriceTableFiles.day(updated, flag: "--updated")
            let result = try PriceTableFiles.importGenAIPrices(file, providers: provider, updated: day)
            let written = try PriceTableFiles.write(result.tables, to: output)
            write(Self.summary(result) + written.map { "wrote \($0)\n" }.joined())
        }
    }

    static func summary(_ result: GenAIPricesImporter.Result) -> String {
        var text = ""
        for s in result.summaries {
            text += "\(s.provider): \(s.imported) models imported, \(s.withHistory) with dated history, \(s.aliases) aliases from equals clauses\n"
            if !s.unrepresentableMatches.isEmpty {
                text += "  match clauses not representable (\(s.unrepresentableMatches.count)): " + s.unrepresentableMatches.joined(separator: "; ") + "\n"
            }
            if !s.timeOfDayWindows.isEmpty {
                text += "  time-of-day prices not representable (\(s.timeOfDayWindows.count)): " + s.timeOfDayWindows.joined(separator: "; ") + "\n"
            }
            if !s.keysNotImported.isEmpty {
                text += "  price keys not imported: " + s.keysNotImported.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ") + "\n"
            }
            if s.variantsNotImported > 0 { text += "  models with price variants (batch, flex, priority) not imported: \(s.variantsNotImported)\n" }
            for line in s.skipped { text += "  skipped: \(line)\n" }
            if !s.aliasConflicts.isEmpty { text += "  aliases dropped as already taken: " + s.aliasConflicts.joined(separator: ", ") + "\n" }
        }
        return text
    }
}

/// `tally prices import official`: the shipped official tables, from both sources at once.
struct PricesImportOfficial: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "official",
        abstract: "Regenerate pricing/official/ from LiteLLM's list and the genai-prices data together.",
        discussion: """
            A model is matched across the sources by all its names (keys, aliases, dated snapshots). \
            Its shipped prices are genai-prices' when it has dated entries for the model (its price \
            history), LiteLLM's otherwise; then the corrections of the overrides file apply. Every \
            model the two disagree on is printed as a table row with the source shipped and why, and \
            every name only one source has is listed.
            """
    )

    @Option(help: "LiteLLM's model_prices_and_context_window.json.")
    var litellm: String

    @Option(name: .customLong("genai-prices"), help: "The genai-prices data as JSON.")
    var genAIPrices: String

    @Option(help: "The hand-kept corrections applied after the merge.")
    var overrides = "pricing/overrides.json"

    @Option(help: "The folder to write <provider>.json into.")
    var output = "pricing/official"

    @Option(help: "The date the prices were read and compared at (YYYY-MM-DD); default today.")
    var updated: String?

    func run() async throws {
        try await reportingFailures {
            let day = try PriceTableFiles.day(updated, flag: "--updated")
            let liteLLM = try PriceTableFiles.importLiteLLM(litellm, updated: day)
            let liteLLMName = URL(filePath: litellm).lastPathComponent
            let genAI = try PriceTableFiles.importGenAIPrices(genAIPrices, providers: [], updated: day)
            let corrections: OfficialOverrides
            let merged: OfficialTableMerge.Result
            do {
                corrections = try OfficialOverrides(decoding: try PriceTableFiles.read(overrides, what: "the overrides file"), origin: overrides)
                merged = try OfficialTableMerge.merge(
                    liteLLM: liteLLM.tables, genAIPrices: genAI.tables, at: day,
                    source: "LiteLLM \(liteLLMName) (current prices) and genai-prices \(URL(filePath: genAIPrices).lastPathComponent) (dated history and tiers), read \(day); merged by `tally prices import official`",
                    overrides: corrections
                )
            } catch let error as PriceTableError {
                throw Failure(lines: error.problems.map(\.description), status: ExitStatus.data)
            }
            let written = try PriceTableFiles.write(merged.tables, to: output)
            var text = Self.skipped(liteLLM, genAI)
            text += Self.unmatched(merged)
            text += Self.disagreements(merged)
            write(text + written.map { "wrote \($0)\n" }.joined())
        }
    }

    /// Every model an importer left out, with why.
    static func skipped(_ liteLLM: LiteLLMImporter.Result, _ genAI: GenAIPricesImporter.Result) -> String {
        var text = ""
        for s in liteLLM.summaries {
            for line in s.skippedInvalid { text += "litellm \(s.provider) skipped: \(line)\n" }
        }
        for s in genAI.summaries {
            for line in s.skipped { text += "genai-prices \(s.provider) skipped: \(line)\n" }
        }
        return text
    }

    /// Every name only one source has, per provider and source.
    static func unmatched(_ merged: OfficialTableMerge.Result) -> String {
        var text = ""
        let groups = Dictionary(grouping: merged.unmatched) { "\($0.provider) \($0.source)" }
        for key in groups.keys.sorted() {
            let names = (groups[key] ?? []).map(\.model).sorted()
            text += "only in \(key) (\(names.count)): \(names.joined(separator: ", "))\n"
        }
        for line in merged.mergedWithDifferentPrices { text += "same genai-prices model, different LiteLLM prices: \(line)\n" }
        for line in merged.cachedPricesToCheck { text += "check the cached price: \(line)\n" }
        return text
    }

    /// One Markdown table row per model the sources disagree on: what differs, what shipped, why.
    static func disagreements(_ merged: OfficialTableMerge.Result) -> String {
        var rows: [(key: String, row: String)] = []
        var seen: Set<String> = []
        for d in merged.disagreements {
            let key = "\(d.provider)/\(d.model)"
            guard seen.insert(key).inserted else { continue }
            let fields = merged.disagreements.filter { $0.provider == d.provider && $0.model == d.model }
                .map { "\($0.field) \($0.liteLLM ?? "-") / \($0.genAIPrices ?? "-")" }
            rows.append((key, "| \(d.provider) | \(d.model) | \(fields.joined(separator: "; ")) | \(d.shipped) | \(d.why) |\n"))
        }
        var text = "\(rows.count) models whose current prices differ between the sources (litellm / genai-prices, USD per million tokens):\n\n"
        text += "| provider | model | differs (litellm / genai-prices) | shipped | why |\n| --- | --- | --- | --- | --- |\n"
        text += rows.sorted { $0.key < $1.key }.map(\.row).joined()
        return text + "\n"
    }
}
