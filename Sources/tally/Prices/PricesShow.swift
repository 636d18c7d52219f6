import ArgumentParser
import Foundation
import TallyPricing

/// `tally prices show MODEL`: every provider's prices for one model, with their history.
struct PricesShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show every provider's prices for a model, with price history; the entry in force is marked."
    )

    @Argument(help: "A model name, alias, dated snapshot, or provider/model.")
    var model: String

    @Option(help: "The date whose entry is marked as in force: YYYY-MM-DD or an ISO 8601 time.")
    var at = DateArgument(date: Date())

    @OptionGroup var pricing: PricingOptions
    @OptionGroup var output: FormatOptions

    struct RowJSON: Encodable {
        var provider, kind, model: String
        var aliases: [String]
        var official: String?
        var creditUSD: String
        var inForce: Bool
        var price: PriceEntryJSON

        enum CodingKeys: String, CodingKey {
            case provider, kind, model, aliases, official, price
            case creditUSD = "credit_usd", inForce = "in_force"
        }
    }

    func run() async throws {
        try await reportingFailures {
            let book = try pricing.loadBook()
            let matches = book.modelsSelling(model)
            guard !matches.isEmpty else {
                throw Failure("no provider has a price for model '\(model)'\(ModelHint.didYouMean(model, in: book)); `tally prices list` shows the known models", status: ExitStatus.data)
            }
            let seconds = Int64(at.date.timeIntervalSince1970.rounded(.down))
            var rows: [RowJSON] = []
            for (table, model) in matches {
                let current = PriceBook.entry(of: model, atSeconds: seconds)
                for entry in model.prices {
                    rows.append(RowJSON(
                        provider: table.provider, kind: table.kind.rawValue, model: model.key, aliases: model.aliases,
                        official: model.official?.description, creditUSD: table.creditUSD.decimalString,
                        inForce: entry == current, price: PriceEntryJSON(entry)
                    ))
                }
            }
            switch output.format {
            case .json:
                write(try JSONOutput.encode(rows))
            case .csv:
                var csv = CSVWriter(header: ["provider", "kind", "model", "from", "in_force", "input", "cached_input", "cache_write", "cache_write_1h", "output", "reasoning", "credit_usd", "official"])
                for row in rows {
                    let p = row.price
                    csv.append([
                        row.provider, row.kind, row.model, p.from ?? "", row.inForce ? "true" : "false", p.input, p.cachedInput ?? "",
                        p.cacheWrite ?? "", p.cacheWrite1h ?? "", p.output, p.reasoning ?? "", row.creditUSD, row.official ?? "",
                    ])
                }
                write(csv.text)
            case .table:
                var table = TextTable(columns: [
                    ("", .left), ("PROVIDER", .left), ("MODEL", .left), ("FROM", .left), ("INPUT", .right), ("CACHED", .right),
                    ("CACHE WRITE", .right), ("WRITE 1H", .right), ("OUTPUT", .right), ("REASONING", .right), ("CREDIT USD", .right), ("OFFICIAL", .left),
                ])
                for row in rows {
                    let p = row.price
                    func money(_ text: String?) -> String { text.map { "$" + $0 } ?? "" }
                    table.append([
                        row.inForce ? "*" : "", row.provider, row.model, p.from ?? "(start)", money(p.input), money(p.cachedInput),
                        money(p.cacheWrite), money(p.cacheWrite1h), money(p.output), money(p.reasoning),
                        row.kind == "official" ? "" : "$" + row.creditUSD, row.official ?? "",
                    ])
                }
                var text = table.render()
                for (table, model) in matches {
                    for entry in model.prices where !entry.tiers.isEmpty {
                        text += "\(table.provider) \(model.key) from \(entry.from?.description ?? "(start)"): \(PriceFormatting.tiers(entry.tiers))\n"
                    }
                }
                write(text + "* in force at the given date. USD per million tokens of the provider's unit; CREDIT USD is what one unit costs in USD.\n")
            }
        }
    }
}
