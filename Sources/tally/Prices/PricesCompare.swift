import ArgumentParser
import Foundation
import TallyPricing

/// `tally prices compare MODEL…`: each provider's price for the same models, in real USD,
/// with the saving against the official API.
struct PricesCompare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare providers' prices for models side by side, in real USD after credit rates, with the saving against the official price."
    )

    @Argument(help: "Model names, aliases or provider/model.")
    var models: [String]

    @Option(help: "Only these providers, comma-separated (the official price is always shown).")
    var providers: String?

    @Option(help: "The date whose prices to compare: YYYY-MM-DD or an ISO 8601 time.")
    var at = DateArgument(date: Date())

    @OptionGroup var pricing: PricingOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        guard !models.isEmpty else { throw ValidationError("name at least one model, e.g. `tally prices compare gpt-4.1`") }
    }

    struct RowJSON: Encodable {
        var query, provider, kind, model: String
        var official: String?
        var creditUSD: String
        var price: Prices
        var usd: Prices
        var savingPercent: Saving

        struct Prices: Encodable {
            var input: String
            var cachedInput: String
            var output: String
            enum CodingKeys: String, CodingKey { case input, output, cachedInput = "cached_input" }
        }

        struct Saving: Encodable {
            var input: String?
            var cachedInput: String?
            var output: String?
            enum CodingKeys: String, CodingKey { case input, output, cachedInput = "cached_input" }
        }

        enum CodingKeys: String, CodingKey {
            case query, provider, kind, model, official, price, usd
            case creditUSD = "credit_usd", savingPercent = "saving_percent"
        }
    }

    func run() async throws {
        try await reportingFailures {
            let book = try pricing.loadBook()
            let wanted = providers.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() } }
            for name in wanted ?? [] where book.table(provider: name) == nil {
                throw Failure("--providers: no such provider '\(name)' (known: \(book.tables.map(\.provider).joined(separator: ", ")))", status: ExitStatus.usage)
            }
            var rows: [RowJSON] = []
            for query in models {
                let offers = book.offers(for: query, at: at.date)
                guard !offers.isEmpty else {
                    throw Failure("no provider has a price in force for model '\(query)'\(ModelHint.didYouMean(query, in: book)); `tally prices list` shows the known models", status: ExitStatus.data)
                }
                for offer in offers where offer.table.kind == .official || wanted.map({ $0.contains(offer.table.provider) }) ?? true {
                    let own = offer.entry.rates.effective
                    let usd = offer.effectiveRates.effective
                    let official = offer.officialEntry?.rates.effective
                    func saving(_ paid: TokenPrice, _ list: TokenPrice?) -> String? {
                        PriceBook.Offer.savingPermille(paying: paid, against: list).map { PriceFormatting.percent(permille: $0).replacingOccurrences(of: "%", with: "") }
                    }
                    rows.append(RowJSON(
                        query: query, provider: offer.table.provider, kind: offer.table.kind.rawValue, model: offer.model.key,
                        official: offer.official?.description, creditUSD: offer.table.creditUSD.decimalString,
                        price: .init(input: own.input.decimalString, cachedInput: own.cachedInput.decimalString, output: own.output.decimalString),
                        usd: .init(input: usd.input.decimalString, cachedInput: usd.cachedInput.decimalString, output: usd.output.decimalString),
                        savingPercent: .init(
                            input: saving(usd.input, official?.input), cachedInput: saving(usd.cachedInput, official?.cachedInput),
                            output: saving(usd.output, official?.output)
                        )
                    ))
                }
            }
            write(try render(rows))
        }
    }

    func render(_ rows: [RowJSON]) throws -> String {
        switch output.format {
        case .json:
            return try JSONOutput.encode(rows)
        case .csv:
            var csv = CSVWriter(header: [
                "query", "provider", "kind", "model", "official", "input", "cached_input", "output", "credit_usd",
                "usd_input", "usd_cached_input", "usd_output", "saving_input_percent", "saving_cached_input_percent", "saving_output_percent",
            ])
            for row in rows {
                csv.append([
                    row.query, row.provider, row.kind, row.model, row.official ?? "", row.price.input, row.price.cachedInput, row.price.output,
                    row.creditUSD, row.usd.input, row.usd.cachedInput, row.usd.output,
                    row.savingPercent.input ?? "", row.savingPercent.cachedInput ?? "", row.savingPercent.output ?? "",
                ])
            }
            return csv.text
        case .table:
            var table = TextTable(columns: [
                ("MODEL", .left), ("PROVIDER", .left), ("INPUT", .right), ("CACHED", .right), ("OUTPUT", .right), ("CREDIT USD", .right),
                ("USD INPUT", .right), ("USD CACHED", .right), ("USD OUTPUT", .right), ("SAVING", .right),
            ])
            for row in rows {
                let savings = Set([row.savingPercent.input, row.savingPercent.output].compactMap { $0 })
                let saving = savings.count == 1 ? (savings.first ?? "") + "%"
                    : [row.savingPercent.input.map { "in \($0)%" }, row.savingPercent.output.map { "out \($0)%" }].compactMap { $0 }.joined(separator: " ")
                table.append([
                    row.official ?? row.model, row.provider + (row.kind == "official" ? " (official)" : ""),
                    "$" + row.price.input, "$" + row.price.cachedInput, "$" + row.price.output,
                    row.kind == "official" ? "" : "$" + row.creditUSD,
                    "$" + row.usd.input, "$" + row.usd.cachedInput, "$" + row.usd.output,
                    row.kind == "official" ? "(list)" : (saving.isEmpty ? "unknown" : saving),
                ])
            }
            return table.render()
                + "Prices per million tokens: INPUT/CACHED/OUTPUT in the provider's unit, USD columns after its credit rate. SAVING is against the official price.\n"
        }
    }
}
