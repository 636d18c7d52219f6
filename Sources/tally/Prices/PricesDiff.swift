import ArgumentParser
import Foundation
import TallyPricing

/// `tally prices diff A B`: every price that differs between two sets of tables at a date.
struct PricesDiff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show every model whose price differs between two sets of price tables, and models on one side only.",
        discussion: """
            A and B are each: a table file or folder (checked on top of the bundled tables, as \
            `prices validate` does); `bundled` (the tables built into tally); `litellm:FILE` \
            (LiteLLM's list, imported on the fly); or `genai-prices:FILE`. Prices are compared in \
            real USD per million tokens: a table's price times its billing.credit_usd. \
            Exits 1 when anything differs and 0 when nothing does, so CI can notice an upstream price change.
            """
    )

    @Argument(help: "Side A: a file, folder, `bundled`, `litellm:FILE` or `genai-prices:FILE`.")
    var a: String

    @Argument(help: "Side B, in the same forms.")
    var b: String

    @Option(help: "The date whose prices to compare (YYYY-MM-DD); default today.")
    var at: String?

    @Flag(help: "Only models whose prices differ; leave out models present on one side only.")
    var onlyChanged = false

    @OptionGroup var output: FormatOptions

    struct RowJSON: Encodable {
        var provider, model: String
        var otherKey, field, a, b: String?

        enum CodingKeys: String, CodingKey {
            case provider, model, field, a, b
            case otherKey = "b_model"
        }
    }

    func run() async throws {
        try await reportingFailures {
            let day = try PriceTableFiles.day(at, flag: "--at")
            var diff = PriceDiff(try Self.tables(a, day: day), try Self.tables(b, day: day), at: day)
            if onlyChanged { diff.rows.removeAll { $0.field == nil } }
            write(try render(diff))
            if !diff.isEmpty { throw ExitCode(1) }
        }
    }

    /// The tables a side names.
    static func tables(_ side: String, day: CalendarDay) throws -> [PriceTable] {
        if side == "bundled" {
            return try PriceTableFiles.book(userTables: []).tables
        }
        if side.hasPrefix("litellm:") {
            let path = String(side.dropFirst("litellm:".count))
            return try PriceTableFiles.importLiteLLM(path, updated: day).tables
        }
        if side.hasPrefix("genai-prices:") {
            return try PriceTableFiles.importGenAIPrices(String(side.dropFirst("genai-prices:".count)), providers: [], updated: day).tables
        }
        // The files are checked on top of the bundled tables, as `prices validate` checks them,
        // so a relay's links to official models resolve; the side is what the files say.
        let sources = try PriceTableFiles.sources(at: [side])
        let origins = Set(sources.map(\.origin))
        return try PriceTableFiles.book(userTables: sources).tables.compactMap { table in
            guard origins.contains(table.origin) else { return nil }
            var own = table
            own.models = table.models.filter { $0.origin.map(origins.contains) ?? false }
            return own
        }
    }

    func render(_ diff: PriceDiff) throws -> String {
        switch output.format {
        case .json:
            return try JSONOutput.encode(diff.rows.map { RowJSON(provider: $0.provider, model: $0.model, otherKey: $0.otherKey, field: $0.field, a: $0.a, b: $0.b) })
        case .csv:
            var csv = CSVWriter(header: ["provider", "model", "b_model", "field", "a", "b"])
            for row in diff.rows {
                csv.append([row.provider, row.model, row.otherKey ?? "", row.field ?? "", row.a ?? "", row.b ?? ""])
            }
            return csv.text
        case .table:
            guard !diff.isEmpty else { return "no differences\n" }
            var table = TextTable(columns: [("PROVIDER", .left), ("MODEL", .left), ("FIELD", .left), ("A", .right), ("B", .right)])
            for row in diff.rows {
                let model = row.otherKey.map { "\(row.model) (B: \($0))" } ?? row.model
                func price(_ text: String?) -> String {
                    guard let text else { return "(absent)" }
                    return text == "present" ? text : "$" + text
                }
                table.append([row.provider, model, row.field ?? "(model)", price(row.a), price(row.b)])
            }
            let changed = Set(diff.rows.filter { $0.field != nil }.map { "\($0.provider)/\($0.model)" }).count
            let onlyA = diff.rows.filter { $0.field == nil && $0.b == nil }.count
            let onlyB = diff.rows.filter { $0.field == nil && $0.a == nil }.count
            return table.render() + "\(changed) models with different prices, \(onlyA) only in A, \(onlyB) only in B (USD per million tokens).\n"
        }
    }
}
