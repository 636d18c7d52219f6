import ArgumentParser
import Foundation
import TallyPricing
import TallyTokenizer
import TallyUsage
import TallyJSON

/// `tally estimate`: what a prompt will cost before it is sent, under every provider of the model.
struct EstimateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estimate",
        abstract: "Count a prompt's tokens and price it under every provider that sells the model.",
        discussion: """
            The input is a request body (OpenAI chat completions, OpenAI Responses or Anthropic messages \
            JSON) or plain text, from FILE or standard input. Counts are exact for OpenAI models with a \
            public tokenizer and marked as estimates otherwise, with the method used.
            """
    )

    /// What the input is.
    enum RequestKind: String, ExpressibleByArgument, CaseIterable {
        case auto, text, openaiChat = "openai-chat", responses, anthropic
    }

    @Option(help: "The model, as a provider names it (gpt-4.1, claude-sonnet-4.5, provider/model).")
    var model: String

    @Option(help: "Only these providers, comma-separated.")
    var providers: String?

    @Option(parsing: .unconditional, help: "Completion tokens to assume (default 0: input only).")
    var outputTokens: Int64 = 0

    @Option(help: "How to read the input: auto, text, openai-chat, responses or anthropic.")
    var request: RequestKind = .auto

    @Option(help: "The date whose prices to use: YYYY-MM-DD or an ISO 8601 time.")
    var at = DateArgument(date: Date())

    @Argument(help: "A file with the prompt or request body; '-' or nothing reads standard input.")
    var file: String?

    @OptionGroup var pricing: PricingOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        guard outputTokens >= 0 else { throw ValidationError("--output-tokens must not be negative") }
        guard outputTokens <= Usage.plausibleMaximum else {
            throw ValidationError("--output-tokens \(outputTokens) is above \(Usage.plausibleMaximum), the most tokens of one class Tally prices in a request")
        }
    }

    struct Estimate: Encodable {
        var provider, model: String
        var inputTokens, outputTokens: Int64
        var count: String
        var cost, listCost, savings: MoneyJSON?
        enum CodingKeys: String, CodingKey {
            case provider, model, count, cost, savings
            case inputTokens = "input_tokens", outputTokens = "output_tokens", listCost = "list_cost"
        }
    }

    func run() async throws {
        try await reportingFailures {
            let book = try pricing.loadBook()
            let bytes = try readInput()
            let count = try countTokens(bytes)
            let wanted = providers.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }) }
            let offers = book.offers(for: model, at: at.date).filter { wanted?.contains($0.table.provider) ?? true }
            guard !offers.isEmpty else {
                throw Failure("--model \(model): no provider\(wanted == nil ? "" : " of --providers") has a price for it\(ModelHint.didYouMean(model, in: book)); `tally prices list` shows the known models", status: ExitStatus.data)
            }
            let usage = Usage(input: Int64(count.tokens), output: outputTokens)
            var rows: [Estimate] = []
            for offer in offers {
                let charge = book.charge(provider: offer.table.provider, requestedModel: offer.model.key, at: at.date, usage: usage).charge
                rows.append(Estimate(
                    provider: offer.table.provider, model: offer.model.key, inputTokens: usage.input, outputTokens: outputTokens,
                    count: count.method, cost: charge.map { MoneyJSON($0.cost) }, listCost: charge?.listCost.map(MoneyJSON.init),
                    savings: charge?.savings.map(MoneyJSON.init)
                ))
            }
            write(try render(rows, count: count))
        }
    }

    func readInput() throws -> Data {
        if let file, file != "-" {
            return try PriceTableFiles.read(file, what: "the prompt")
        }
        return FileHandle.standardInput.readDataToEndOfFile()
    }

    func countTokens(_ bytes: Data) throws -> TokenCount {
        var kind = request
        let parsed = Result { () throws(JSONSyntaxError) in try JSONReader.parse(bytes) }
        if kind == .auto {
            if case .success(let object) = parsed, case .object = object {
                if object["messages"] != nil {
                    let claude = model.lowercased().contains("claude")
                    kind = claude || object["system"] != nil ? .anthropic : .openaiChat
                } else if object["input"] != nil || object["instructions"] != nil {
                    kind = .responses
                } else {
                    kind = .text
                }
            } else {
                kind = .text
            }
        }
        let source = file.flatMap { $0 == "-" ? nil : $0 } ?? "standard input"
        var body = JSONValue.null
        if kind != .text, kind != .auto {
            switch parsed {
            case .success(let value): body = value
            case .failure(let error):
                throw Failure("\(source): not a JSON request body, which --request \(kind.rawValue) reads (\(error)); pass --request text to count plain text", status: ExitStatus.data)
            }
        }
        do {
            switch kind {
            case .openaiChat: return try ChatTokenCounter.countOpenAIChatRequest(body, model: model)
            case .responses: return try ChatTokenCounter.countOpenAIResponsesRequest(body, model: model)
            case .anthropic: return try ChatTokenCounter.countAnthropicMessagesRequest(body, model: model)
            case .text, .auto:
                // Invalid UTF-8 becomes U+FFFD, as tiktoken's callers decode it.
                return try Encoding.forModel(model).count(String(decoding: bytes, as: UTF8.self))
            }
        } catch {
            throw Failure("\(source): \(error)", status: ExitStatus.data)
        }
    }

    func render(_ rows: [Estimate], count: TokenCount) throws -> String {
        switch output.format {
        case .json:
            return try JSONOutput.encode(rows)
        case .csv:
            var csv = CSVWriter(header: ["provider", "model", "input_tokens", "output_tokens", "count", "cost_usd", "list_cost_usd", "savings_usd"])
            for row in rows {
                csv.append([
                    row.provider, row.model, String(row.inputTokens), String(row.outputTokens), row.count,
                    row.cost?.usd ?? "", row.listCost?.usd ?? "", row.savings?.usd ?? "",
                ])
            }
            return csv.text
        case .table:
            var table = TextTable(columns: [
                ("PROVIDER", .left), ("MODEL", .left), ("INPUT", .right), ("OUTPUT", .right), ("COST", .right), ("LIST COST", .right), ("SAVING", .right),
            ])
            for row in rows {
                table.append([
                    row.provider, row.model, MoneyFormat.count(row.inputTokens), MoneyFormat.count(row.outputTokens),
                    // Exact: providers a fraction of a cent apart must still compare.
                    MoneyFormat.exact(row.cost?.money), MoneyFormat.exact(row.listCost?.money), MoneyFormat.exact(row.savings?.money),
                ])
            }
            let note = count.isExact ? "Input tokens counted exactly (\(count.encoding.rawValue))." : "Input tokens are an estimate: \(count.method)."
            return table.render() + note + (outputTokens == 0 ? " Output not included: pass --output-tokens N." : "") + "\n"
        }
    }
}

/// An exact amount in JSON: integer nano-USD next to its decimal string.
struct MoneyJSON: Encodable, Hashable {
    var nanoUSD: Int64
    var usd: String

    init(_ money: Money) {
        nanoUSD = money.nanoUSD
        usd = money.decimalString
    }

    var money: Money { Money(nanoUSD: nanoUSD) }

    enum CodingKeys: String, CodingKey {
        case usd
        case nanoUSD = "nano_usd"
    }
}
