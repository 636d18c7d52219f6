import Foundation
import Testing
@testable import TallyPricing
import TallyUsage

struct GenAIPricesImporterTests {
    static let imported: Result<GenAIPricesImporter.Result, any Error> = Result {
        try GenAIPricesImporter.tables(from: try genAIPricesReference(), source: "genai-prices 0.2.3")
    }

    func book() throws -> PriceBook {
        let result = try Self.imported.get()
        return try PriceBook(
            includingBundled: false,
            userTables: result.tables.map { PriceBook.Source(origin: $0.origin, bytes: Array(PriceTableWriter.json($0).utf8)) }
        )
    }

    @Test func keepsO3sPriceCutOnItsDay() throws {
        let book = try book()
        let usage = Usage(input: 1_000_000, output: 1_000_000)
        let before = try #require(book.charge(provider: "openai", requestedModel: "o3", at: instant("2025-06-09T23:59:59Z"), usage: usage).charge)
        #expect(before.cost == Money(decimalUSD: "50.00"))  // $10 + $40
        let after = try #require(book.charge(provider: "openai", requestedModel: "o3-2025-04-16", at: instant("2025-06-10T00:00:00Z"), usage: usage).charge)
        #expect(after.cost == Money(decimalUSD: "10.00"))  // $2 + $8
        #expect(after.entry.from == "2025-06-10")
    }

    @Test func pricesClaudeSonnetLongContextAsAWholeAtTheTier() throws {
        let book = try book()
        func cost(_ input: Int64) throws -> Charge {
            try #require(book.charge(provider: "anthropic", requestedModel: "claude-sonnet-4-5", at: Date(), usage: Usage(input: input, output: 1_000)).charge)
        }
        // 200,000 tokens: base prices, $3 in and $15 out per million.
        #expect(try cost(200_000).cost == Money(decimalUSD: "0.615"))
        // 200,001: every class at the tier's, $6 in and $22.50 out, output included.
        let above = try cost(200_001)
        #expect(above.cost == Money(decimalUSD: "1.222506"))
        #expect(above.entry.tierAbove == 200_000)
    }

    @Test func countsWhatItImportsAndWhatItCannotRepresent() throws {
        let summaries = Dictionary(uniqueKeysWithValues: try Self.imported.get().summaries.map { ($0.provider, $0) })
        // Each figure is what the genai-prices 0.2.3 data holds for the provider (counted
        // independently by a short Python script over the same file when the test was written),
        // less the models without an output price, which are skipped.
        let expected: [String: (imported: Int, history: Int, clauses: Int, windows: Int)] = [
            "openai": (101, 5, 25, 0), "anthropic": (27, 2, 73, 0), "gemini": (64, 12, 93, 0),
            "deepseek": (8, 2, 4, 8), "xai": (19, 2, 8, 0), "mistral": (37, 5, 3, 0),
        ]
        for (provider, figures) in expected {
            let summary = try #require(summaries[provider])
            #expect(summary.imported == figures.imported, "\(provider)")
            #expect(summary.withHistory == figures.history, "\(provider)")
            #expect(summary.unrepresentableMatches.count == figures.clauses, "\(provider)")
            #expect(summary.timeOfDayWindows.count == figures.windows, "\(provider)")
        }
        #expect(summaries["deepseek"]?.timeOfDayWindows.first == "deepseek-chat: 00:30:00+00:00–16:30:00+00:00")
    }

    func problems(_ json: String) -> [String] {
        do {
            _ = try GenAIPricesImporter.tables(from: Array(json.utf8), providers: ["acme"], source: "g.json")
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func refusesAnUnknownTopLevelShape() {
        #expect(problems("[1]") == ["g.json: $: not genai-prices data: expected an object with a \"providers\" array, found an array without one"])
    }

    @Test func refusesPricesThatAreNotDecimalStrings() {
        let json = """
            { "providers": [{ "id": "acme", "models": [{ "id": "m", "prices": { "input_mtok": 2.5, "output_mtok": "x" } }] }] }
            """
        #expect(problems(json) == [
            "g.json: $.providers[0].models[0].prices.input_mtok: price must be a decimal string, found a number",
            "g.json: $.providers[0].models[0].prices.output_mtok: \"x\" is not a non-negative decimal with at most 9 decimal places",
        ])
    }

    @Test func refusesConditionalDatesThatGoBackwardsAndUnknownConstraints() {
        let json = """
            { "providers": [{ "id": "acme", "models": [{ "id": "m", "prices": [
              { "constraint": { "_type": "StartDateConstraint", "start_date": "2025-06-10" }, "prices": { "input_mtok": "1" } },
              { "constraint": { "_type": "StartDateConstraint", "start_date": "2025-01-01" }, "prices": { "input_mtok": "1" } },
              { "constraint": { "_type": "MoonPhaseConstraint" }, "prices": { "input_mtok": "1" } }
            ] }] }] }
            """
        #expect(problems(json) == [
            "g.json: $.providers[0].models[0].prices[1].constraint.start_date: 2025-01-01 is not after the previous set's 2025-06-10: conditional dates must go forward",
            "g.json: $.providers[0].models[0].prices[2].constraint._type: unknown constraint type \"MoonPhaseConstraint\"",
        ])
    }
}

struct PriceDiffTests {
    @Test func findsTheModelsWhosePricesDifferBetweenTheTwoSources() throws {
        let day = try #require(CalendarDay("2026-11-25"))
        let liteLLM = try LiteLLMImporter.tables(from: try liteLLMReference(), providers: ["openai"], source: "l").tables
        let genAI = try GenAIPricesImporter.tables(from: try genAIPricesReference(), providers: ["openai"], source: "g").tables
        let diff = PriceDiff(liteLLM, genAI, at: day)
        #expect(!diff.isEmpty)
        // gpt-4.1 agrees in both sources; o3's current price too, though only genai-prices has its history.
        #expect(!diff.rows.contains { $0.model == "gpt-4.1" })
        #expect(!diff.rows.contains { $0.model == "o3" && $0.field != nil })
        let sameAgain = PriceDiff(liteLLM, liteLLM, at: day)
        #expect(sameAgain.isEmpty)
    }

    @Test func reportsModelsOnOneSideAndChangedClasses() throws {
        let a = try book([("a.json", officialTable)]).tables
        let b = try book([("b.json", officialTable.replacingFirst("\"8.00\"", with: "\"9.00\""))]).tables
        let diff = PriceDiff(a, b, at: try #require(CalendarDay("2025-07-01")))
        #expect(diff.rows.map { "\($0.model) \($0.field ?? "-") \($0.a ?? "-") \($0.b ?? "-")" } == [
            "acme-1 output 8.00 9.00", "acme-1 reasoning 8.00 9.00",
        ])
        let onlyA = PriceDiff(a, [], at: try #require(CalendarDay("2025-07-01")))
        #expect(onlyA.rows.map { "\($0.provider)/\($0.model) \($0.a ?? "-") \($0.b ?? "-")" } == ["acme/acme-1 present -"])
    }
}

/// The shipped overrides file.
func shippedOverrides() throws -> OfficialOverrides {
    let path = repositoryRoot.appending(path: "pricing/overrides.json")
    return try OfficialOverrides(decoding: Array(try Data(contentsOf: path)), origin: "pricing/overrides.json")
}

struct OfficialTableMergeTests {
    @Test func theBundledTablesAreExactlyWhatTheMergeWrites() throws {
        let day = try #require(CalendarDay("2026-11-25"))
        let liteLLM = try LiteLLMImporter.tables(from: try liteLLMReference(), source: "LiteLLM litellm-model-prices-1.110.2.json", updated: day)
        let genAI = try GenAIPricesImporter.tables(from: try genAIPricesReference(), source: "genai-prices genai-prices-0.2.3.json", updated: day)
        let merged = try OfficialTableMerge.merge(
            liteLLM: liteLLM.tables, genAIPrices: genAI.tables, at: day,
            source: "LiteLLM litellm-model-prices-1.110.2.json (current prices) and genai-prices genai-prices-0.2.3.json (dated history and tiers), read 2026-11-25; merged by `tally prices import official`",
            overrides: try shippedOverrides()
        )
        let bundled = Dictionary(uniqueKeysWithValues: PriceBook.bundledSources.map { ($0.origin, String(decoding: $0.bytes, as: UTF8.self)) })
        #expect(merged.tables.count == 6)
        for table in merged.tables {
            #expect(PriceTableWriter.json(table) == bundled[table.origin], "\(table.origin) differs from a fresh merge: run `tally prices import official`")
        }
    }

    @Test func shipsGenAIPricesHistoryOnlyWhereItHasDates() throws {
        let day = try #require(CalendarDay("2026-11-25"))
        let book = try PriceBook()
        // o3 has dated entries in genai-prices: its history ships.
        #expect(book.model("o3", provider: "openai")?.prices.count == 2)
        // deepseek-chat has none (only a time-of-day window): LiteLLM's price ships.
        let chat = try #require(book.model("deepseek-chat", provider: "deepseek"))
        #expect(PriceBook.entry(of: chat, atSeconds: day.secondsSinceEpoch)?.rates.input == TokenPrice(decimalUSD: "0.28"))
    }

    static let liteLLMSide = """
        { "m": { "litellm_provider": "acme", "mode": "chat", "input_cost_per_token": 4e-06, "output_cost_per_token": 2e-05 },
          "m-sol": { "litellm_provider": "acme", "mode": "chat", "input_cost_per_token": 4e-06, "output_cost_per_token": 2e-05 },
          "m-sol-2026-07-01": { "litellm_provider": "acme", "mode": "chat", "input_cost_per_token": 4e-06, "output_cost_per_token": 2e-05 },
          "only-litellm": { "litellm_provider": "acme", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06 } }
        """
    static let genAISide = """
        { "providers": [{ "id": "acme", "models": [
          { "id": "m-sol", "match": { "_type": "ClauseOr", "or_": [{ "_type": "ClauseEquals", "equals": "m-sol" }, { "_type": "ClauseEquals", "equals": "m" }] },
            "prices": [{ "_type": "ConditionalPrice", "prices": { "input_mtok": "5", "output_mtok": "30" } },
                       { "_type": "ConditionalPrice", "constraint": { "_type": "StartDateConstraint", "start_date": "2026-08-21" },
                         "prices": { "input_mtok": "4", "output_mtok": "20" } }] },
          { "id": "only-genai", "prices": { "input_mtok": "1", "output_mtok": "2" } }
        ] }] }
        """

    func merge(_ overrides: String? = nil) throws(PriceTableError) -> OfficialTableMerge.Result {
        let day = CalendarDay("2026-11-25")!
        let l = try LiteLLMImporter.tables(from: Array(Self.liteLLMSide.utf8), providers: ["acme"], source: "l").tables
        let g = try GenAIPricesImporter.tables(from: Array(Self.genAISide.utf8), providers: ["acme"], source: "g").tables
        let o = try overrides.map { text throws(PriceTableError) in try OfficialOverrides(decoding: Array(text.utf8), origin: "o.json") } ?? .none
        return try OfficialTableMerge.merge(liteLLM: l, genAIPrices: g, at: day, source: "t", overrides: o)
    }

    @Test func matchesAModelByEveryNameSoNoNameLosesItsHistory() throws {
        let merged = try merge()
        let book = try PriceBook(includingBundled: false, userTables: merged.tables.map { PriceBook.Source(origin: $0.origin, bytes: Array(PriceTableWriter.json($0).utf8)) })
        let before = instant("2026-08-20T12:00:00Z")
        // Every name of the model, LiteLLM's and genai-prices', is one model with the launch price.
        for name in ["m", "m-sol", "m-sol-2026-07-01"] {
            let charge = try #require(book.charge(provider: "acme", requestedModel: name, at: before, usage: Usage(input: 1_000_000, output: 1_000_000)).charge, "\(name)")
            #expect(charge.cost == Money(decimalUSD: "35.00"), "\(name)")
            #expect(charge.entry.model == "m-sol", "\(name)")
        }
        #expect(merged.tables.first?.models.map(\.key) == ["m-sol", "only-genai", "only-litellm"])
        #expect(merged.unmatched.map { "\($0.source) \($0.model)" } == ["litellm only-litellm", "genai-prices only-genai"])
    }

    @Test func appliesOverridesAndRefusesStaleOnes() throws {
        let merged = try merge("""
            { "overrides": [
              { "provider": "acme", "model": "m", "why": "launch price per the announcement",
                "prices": [{ "input": "5.00", "cached_input": "2.50", "output": "30.00" }] },
              { "provider": "acme", "litellm_tier_above": { "200000": 199999 }, "why": "inclusive boundary" } ] }
            """)
        let model = try #require(merged.tables.first?.models.first { $0.key == "m-sol" })
        #expect(model.prices.map { $0.rates.cachedInput?.decimalString } == ["2.50"])
        #expect(throws: PriceTableError.self) {
            try merge("""
                { "overrides": [{ "provider": "acme", "model": "gone", "why": "w", "ship": "genai-prices" }] }
                """)
        }
        do {
            _ = try merge(#"{ "overrides": [{ "provider": "acme", "model": "no-such", "why": "w", "prices": [{ "input": "1", "output": "1" }] }] }"#)
            Issue.record("a stale override was accepted")
        } catch {
            #expect(error.problems.map(\.description) == [
                "o.json: $.overrides[0].model: provider acme has no model \"no-such\" after the merge; remove or rename this override",
            ])
        }
        #expect(throws: PriceTableError.self) {
            try merge(#"{ "overrides": [{ "provider": "acme", "model": "m", "prices": [{ "input": "1", "output": "1" }] }] }"#)
        }
    }

    @Test func theShippedTablesCarryTheCorrections() throws {
        let book = try PriceBook()
        let usage = Usage(input: 1_000_000, cachedInput: 1_000_000, output: 1_000_000)
        // o3's launch cached price, $2.50, until the 2025-06-10 cut.
        let launch = try #require(book.charge(provider: "openai", requestedModel: "o3", at: instant("2025-05-01T00:00:00Z"), usage: usage).charge)
        #expect(launch.cost == Money(decimalUSD: "52.50"))
        // gpt-5.6 and gpt-5.6-sol are one model: the launch price ($5/$30) on 2026-08-20.
        for name in ["gpt-5.6", "gpt-5.6-sol"] {
            let charge = try #require(book.charge(provider: "openai", requestedModel: name, at: instant("2026-08-20T00:00:00Z"), usage: Usage(input: 100_000, output: 100_000)).charge)
            #expect(charge.cost == Money(decimalUSD: "3.50"), "\(name)")
        }
        // grok-code-fast-1 at xAI's list price, no tier.
        let grok = try #require(book.model("grok-code-fast-1", provider: "xai")?.prices.last)
        #expect([grok.rates.input, grok.rates.cachedInput, grok.rates.output].map { $0?.decimalString } == ["0.20", "0.02", "1.50"])
        #expect(grok.tiers.isEmpty)
        // claude-sonnet-4-5 above 200k: $6 / $22.50 with doubled cache prices.
        let sonnet = try #require(book.model("claude-sonnet-4-5", provider: "anthropic")?.prices.last)
        let tier = sonnet.rates(forPromptTokens: 200_001)
        #expect(tier.tierAbove == 200_000)
        #expect([tier.rates.input, tier.rates.cachedInput, tier.rates.cacheWrite, tier.rates.cacheWrite1h, tier.rates.output].map { $0?.decimalString }
            == ["6.00", "0.60", "7.50", "12.00", "22.50"])
    }

    @Test func appliesTheTierThresholdTheSameWayOnEveryProvider() throws {
        // `above` N: strictly more than N prompt tokens (input + cache reads + cache writes).
        // xAI bills from 200k inclusive, so each of its tiers is above 199999; the others from 200001.
        let book = try PriceBook()
        for table in book.tables where table.kind == .official {
            for model in table.models {
                for entry in model.prices {
                    for tier in entry.tiers {
                        #expect(tier.above % 1000 == (table.provider == "xai" ? 999 : 0), "\(table.provider) \(model.key): above \(tier.above)")
                    }
                }
            }
        }
        let grok = try #require(book.model("grok-4.20", provider: "xai")?.prices.last)
        #expect(grok.rates(forPromptTokens: 200_000).tierAbove == 199_999)
        #expect(grok.rates(forPromptTokens: 199_999).tierAbove == nil)
        let usage = Usage(input: 150_000, cachedInput: 40_000, cacheWrite: 5_000, cacheWrite1h: 5_000)
        #expect(usage.promptTokens == 200_000)
        #expect(grok.rates(forPromptTokens: usage.promptTokens).tierAbove == 199_999)
    }
}
