import ArgumentParser
import Foundation
import TallyPricing

/// `tally prices list`: every model's price in force, per provider.
struct PricesList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the models and prices in force (USD per million tokens, in each provider's own units)."
    )

    @Option(help: "Only this provider's table (repeatable).")
    var provider: [String] = []

    @Option(help: "The date whose prices to show: YYYY-MM-DD or an ISO 8601 time.")
    var at = DateArgument(date: Date())

    @OptionGroup var pricing: PricingOptions
    @OptionGroup var output: FormatOptions

    func run() async throws {
        try await reportingFailures {
            let book = try pricing.loadBook()
            for name in provider where book.table(provider: name) == nil {
                throw Failure("--provider \(name): no such provider (known: \(book.tables.map(\.provider).joined(separator: ", ")))", status: ExitStatus.usage)
            }
            let seconds = Int64(at.date.timeIntervalSince1970.rounded(.down))
            var rows: [Row] = []
            for table in book.tables where provider.isEmpty || provider.contains(table.provider) {
                for model in table.models {
                    guard let entry = PriceBook.entry(of: model, atSeconds: seconds) else { continue }
                    rows.append(Row(table: table, model: model, entry: entry))
                }
            }
            write(try render(rows))
        }
    }

    struct Row {
        var table: PriceTable
        var model: PriceTable.Model
        var entry: PriceEntry
    }

    struct RowJSON: Encodable {
        var provider, kind, model: String
        var aliases: [String]
        var mode, official: String?
        var creditUSD: String
        var price: PriceEntryJSON

        enum CodingKeys: String, CodingKey {
            case provider, kind, model, aliases, mode, official, price
            case creditUSD = "credit_usd"
        }
    }

    func render(_ rows: [Row]) throws -> String {
        switch output.format {
        case .json:
            return try JSONOutput.encode(rows.map {
                RowJSON(
                    provider: $0.table.provider, kind: $0.table.kind.rawValue, model: $0.model.key, aliases: $0.model.aliases,
                    mode: $0.model.mode, official: $0.model.official?.description, creditUSD: $0.table.creditUSD.decimalString,
                    price: PriceEntryJSON($0.entry)
                )
            })
        case .csv:
            var csv = CSVWriter(header: ["provider", "kind", "model", "mode", "from", "input", "cached_input", "cache_write", "cache_write_1h", "output", "reasoning", "credit_usd", "official"])
            for row in rows {
                let rates = row.entry.rates
                csv.append([
                    row.table.provider, row.table.kind.rawValue, row.model.key, row.model.mode ?? "", row.entry.from?.description ?? "",
                    rates.input.decimalString, rates.cachedInput?.decimalString ?? "", rates.cacheWrite?.decimalString ?? "",
                    rates.cacheWrite1h?.decimalString ?? "", rates.output.decimalString, rates.reasoning?.decimalString ?? "",
                    row.table.creditUSD.decimalString, row.model.official?.description ?? "",
                ])
            }
            return csv.text
        case .table:
            var table = TextTable(columns: [
                ("PROVIDER", .left), ("MODEL", .left), ("INPUT", .right), ("CACHED", .right), ("CACHE WRITE", .right),
                ("OUTPUT", .right), ("REASONING", .right), ("FROM", .left), ("TIERS", .left),
            ])
            for row in rows {
                let rates = row.entry.rates
                table.append([
                    row.table.provider, row.model.key, PriceFormatting.price(rates.input), PriceFormatting.price(rates.cachedInput),
                    PriceFormatting.price(rates.cacheWrite), PriceFormatting.price(rates.output), PriceFormatting.price(rates.reasoning),
                    row.entry.from?.description ?? "", PriceFormatting.tiers(row.entry.tiers),
                ])
            }
            return table.render() + "\(rows.count) models. Prices in USD per million tokens of each provider's unit; blank cached/cache-write prices are charged at the input price, blank reasoning at the output price.\n"
        }
    }
}
