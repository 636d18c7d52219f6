import Foundation
import Testing
@testable import TallyPricing
import TallyJSON

/// The repository's root, found from this file's path.
let repositoryRoot = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The trimmed copies of the two price sources, kept in the repository (see their README).
let priceSources = repositoryRoot.appending(path: "Tests/Fixtures/price-sources")

/// LiteLLM's price list, cut to the six official providers.
func liteLLMReference() throws -> Data {
    try Data(contentsOf: priceSources.appending(path: "litellm-model-prices-1.110.2.json"))
}

/// The genai-prices data, cut to the six official providers.
func genAIPricesReference() throws -> Data {
    try Data(contentsOf: priceSources.appending(path: "genai-prices-0.2.3.json"))
}

struct LiteLLMImporterTests {
    let source = "LiteLLM litellm-model-prices-1.110.2.json"

    @Test func convertsEveryChatModelOfTheSixProvidersExactly() throws {
        let data = try liteLLMReference()
        let result = try LiteLLMImporter.tables(from: data, source: source)
        let book = try PriceBook(
            includingBundled: false,
            userTables: result.tables.map { PriceBook.Source(origin: $0.origin, bytes: Array(PriceTableWriter.json($0).utf8)) }
        )
        guard case .object(let entries) = try JSONReader.parse(data) else {
            Issue.record("the reference is not a JSON object")
            return
        }
        var checked = 0
        for (key, value) in entries {
            guard case .string(let provider)? = value["litellm_provider"], LiteLLMImporter.defaultProviders.contains(provider),
                  case .string("chat")? = value["mode"] else { continue }
            let prefixed = key.hasPrefix(provider + "/")
            let name = prefixed ? String(key.dropFirst(provider.count + 1)) : key
            // A model listed both bare and prefixed is imported from the bare entry.
            if prefixed, entries.contains(where: { $0.key == name && $0.value["litellm_provider"] == .string(provider) }) { continue }
            guard value["input_cost_per_token"] != nil else {
                let summary = result.summaries.first { $0.provider == provider }
                #expect(summary?.skippedUnpriced.contains(name) == true, "\(key) has no input price and is not reported")
                continue
            }
            let found = book.model(name, provider: provider)
            #expect(found != nil, "\(key) was not imported")
            guard let rates = found?.prices.first?.rates else { continue }
            // An independent oracle: Foundation's decimal (base-10) arithmetic on the same text.
            for (field, price) in [("input_cost_per_token", rates.input), ("output_cost_per_token", rates.output)] {
                guard case .number(let text)? = value[field], let perToken = Decimal(string: text) else { continue }
                let expected = perToken * 1_000_000
                #expect(Decimal(string: price.decimalString) == expected, "\(key).\(field): \(text) → \(price.decimalString)")
            }
            checked += 1
        }
        #expect(checked > 250)
    }

    @Test func spotChecksWellKnownPrices() throws {
        let result = try LiteLLMImporter.tables(from: try liteLLMReference(), source: source)
        func model(_ provider: String, _ key: String) throws -> PriceEntry.Rates {
            let table = try #require(result.tables.first { $0.provider == provider })
            return try #require(table.models.first { $0.key == key }?.prices.first?.rates)
        }
        let gpt41 = try model("openai", "gpt-4.1")
        #expect([gpt41.input, gpt41.cachedInput, gpt41.output].map { $0?.decimalString } == ["2.00", "0.50", "8.00"])
        let sonnet = try model("anthropic", "claude-sonnet-4-5")
        #expect([sonnet.input, sonnet.cachedInput, sonnet.cacheWrite, sonnet.cacheWrite1h, sonnet.output].map { $0?.decimalString }
            == ["3.00", "0.30", "3.75", "6.00", "15.00"])
        let embedding = try model("openai", "text-embedding-3-small")
        #expect(embedding.input.decimalString == "0.02")
        let table = try #require(result.tables.first { $0.provider == "gemini" })
        let pro = try #require(table.models.first { $0.key == "gemini-2.5-pro" }?.prices.first)
        #expect(pro.tiers.map(\.above) == [200_000])
        #expect(pro.tiers.first?.input?.decimalString == "2.50")
        #expect(pro.tiers.first?.output?.decimalString == "15.00")
        let openai = try #require(result.tables.first { $0.provider == "openai" })
        #expect(openai.models.first { $0.key == "gpt-4.1" }?.aliases == ["gpt-4.1-2025-04-14"])
    }

    @Test func splitsTierFieldNames() {
        #expect(LiteLLMImporter.splitTier("input_cost_per_token_above_200k_tokens") == ("input_cost_per_token", 200_000))
        #expect(LiteLLMImporter.splitTier("cache_creation_input_token_cost_above_1hr_above_100k_tokens") == ("cache_creation_input_token_cost_above_1hr", 100_000))
        #expect(LiteLLMImporter.splitTier("input_cost_per_token_above_200k_tokens_batches") == ("input_cost_per_token_above_200k_tokens_batches", nil))
        #expect(LiteLLMImporter.splitTier("input_cost_per_token") == ("input_cost_per_token", nil))
    }

    @Test func roundsAndReportsPricesWithFloatingPointNoise() throws {
        let json = """
            { "m": { "litellm_provider": "acme", "mode": "chat", "input_cost_per_token": 8.900000000000001e-07, "output_cost_per_token": 1.1e-06,
                     "input_cost_per_token_batches": 1e-07 } }
            """
        let result = try LiteLLMImporter.tables(from: Array(json.utf8), providers: ["acme"], source: "t")
        let rates = try #require(result.tables.first?.models.first?.prices.first?.rates)
        #expect(rates.input.decimalString == "0.89")
        #expect(rates.output.decimalString == "1.10")
        #expect(result.summaries.first?.rounded == ["m.input_cost_per_token: 8.900000000000001e-07 per token → 0.89 per MTok"])
        #expect(result.summaries.first?.fieldsNotImported == ["input_cost_per_token_batches": 1])
    }
}

extension LiteLLMImporterTests {
    @Test func skipsAModelWhosePriceIsMissingNotANumberOrNegativeNamingTheField() throws {
        let json = """
            { "no-output": { "litellm_provider": "acme", "mode": "chat", "input_cost_per_token": 1e-06 },
              "lots": { "litellm_provider": "acme", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": "lots" },
              "negative": { "litellm_provider": "acme", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": -2e-06 },
              "bad-cache": { "litellm_provider": "acme", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
                             "cache_read_input_token_cost": -1e-07 },
              "bad-tier": { "litellm_provider": "acme", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
                            "output_cost_per_token_above_200k_tokens": null },
              "embed": { "litellm_provider": "acme", "mode": "embedding", "input_cost_per_token": 1e-07 },
              "good": { "litellm_provider": "acme", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06 } }
            """
        let result = try LiteLLMImporter.tables(from: Array(json.utf8), providers: ["acme"], source: "t")
        let table = try #require(result.tables.first)
        #expect(table.models.map(\.key) == ["embed", "good"])
        #expect(table.models.first?.prices.first?.rates.output == .zero)
        #expect(result.summaries.first?.skippedInvalid == [
            "no-output: no output_cost_per_token",
            "lots: output_cost_per_token \"lots\" is not a non-negative number",
            "negative: output_cost_per_token -2e-06 is not a non-negative number",
            "bad-cache: cache_read_input_token_cost -1e-07 is not a non-negative number",
            "bad-tier: output_cost_per_token_above_200k_tokens null is not a non-negative number",
        ])
    }
}

struct PriceTableWriterTests {
    @Test func writesWhatTheDecoderReadsBack() throws {
        for source in PriceBook.bundledSources {
            let table = try PriceTableDecoder.decode(source.bytes, origin: source.origin)
            let again = try PriceTableDecoder.decode(Array(PriceTableWriter.json(table).utf8), origin: source.origin)
            #expect(again == table, "\(source.origin)")
        }
    }

    @Test func escapesStrings() {
        #expect(PriceTableWriter.quote("a\"b\\c\nd\u{01}") == "\"a\\\"b\\\\c\\nd\\u0001\"")
    }
}
