import Foundation
import Testing
@testable import TallyPricing
import TallyUsage

func instant(_ text: String) -> Date {
    ISO8601DateFormatter().date(from: text) ?? Date(timeIntervalSince1970: 0)
}

struct PriceBookTests {
    @Test func pricesWithTheEntryInForceAtTheRequestsTime() throws {
        let book = try book([("acme.json", officialTable)])
        let usage = Usage(input: 1000, cachedInput: 200, output: 500)
        let before = try #require(book.charge(provider: "acme", requestedModel: "acme-1", at: instant("2025-06-09T23:59:59Z"), usage: usage).charge)
        // Old entry has no cached price: cache reads are charged at the input price.
        #expect(before.cost == Money(decimalUSD: "0.032"))
        #expect(before.entry.from == nil)
        let after = try #require(book.charge(provider: "acme", requestedModel: "acme-1", at: instant("2025-06-10T00:00:00Z"), usage: usage).charge)
        #expect(after.cost == Money(decimalUSD: "0.0061"))
        #expect(after.entry == PriceEntryRef(provider: "acme", table: "acme.json", model: "acme-1", from: "2025-06-10"))
        #expect(after.listCost == after.cost)
        #expect(after.savings == .zero)
    }

    @Test func saysWhenNoPriceIsInForceYet() throws {
        let text = officialTable.replacingFirst("{ \"input\": \"10.00\"", with: "{ \"from\": \"2025-01-01\", \"input\": \"10.00\"")
        let book = try book([("acme.json", text)])
        let result = book.charge(provider: "acme", requestedModel: "acme-1", at: instant("2024-12-31T23:59:59Z"), usage: Usage(input: 1))
        #expect(result == .unpriced(.noPriceInForce(provider: "acme", model: "acme-1", at: "2024-12-31T23:59:59Z")))
    }

    @Test func resolvesAliasesPrefixesAndSnapshots() throws {
        let book = try book([("acme.json", officialTable)])
        for name in ["acme-1", "acme-one", "ACME-One", "acme/acme-1", "acme-1-2025-04-14", "acme-1-20250929", "acme-1@20241022", "acme-one-0613"] {
            #expect(book.model(name, provider: "acme")?.key == "acme-1", "\(name)")
        }
        #expect(book.model("acme-2", provider: "acme") == nil)
        #expect(book.model("acme-1-preview", provider: "acme") == nil)
        #expect(book.charge(provider: "acme", requestedModel: "acme-2", at: Date(), usage: Usage(input: 1)) == .unpriced(.unknownModel(provider: "acme", model: "acme-2")))
        #expect(book.charge(provider: "nobody", requestedModel: "acme-1", at: Date(), usage: Usage(input: 1)) == .unpriced(.unknownProvider("nobody")))
    }

    @Test func roundsTheRequestOnceHalfToEven() throws {
        let text = """
            { "provider": "tiny", "kind": "official", "source": "test",
              "models": { "m": { "prices": [{ "input": "0.0005", "output": "0.0005" }] } } }
            """
        let book = try book([("tiny.json", text)])
        func cost(_ usage: Usage) -> Int64? { book.charge(provider: "tiny", requestedModel: "m", at: Date(), usage: usage).charge?.cost.nanoUSD }
        #expect(cost(Usage(input: 1)) == 0)  // 0.5 nano → 0
        #expect(cost(Usage(input: 3)) == 2)  // 1.5 → 2
        #expect(cost(Usage(input: 5)) == 2)  // 2.5 → 2
        #expect(cost(Usage(input: 1, output: 1)) == 1)  // 0.5 + 0.5 summed before rounding
    }

    @Test func pricesEveryClassAtTheTierWhenThePromptExceedsIt() throws {
        let text = """
            { "provider": "acme", "kind": "official", "source": "test", "models": { "long": { "prices": [
              { "input": "3.00", "cache_write": "3.75", "output": "15.00",
                "tiers": [{ "above": 200000, "input": "6.00", "output": "22.50" }] }] } } }
            """
        let book = try book([("acme.json", text)])
        func charge(_ usage: Usage) throws -> Charge {
            try #require(book.charge(provider: "acme", requestedModel: "long", at: Date(), usage: usage).charge)
        }
        let atThreshold = try charge(Usage(input: 150_000, cachedInput: 40_000, cacheWrite: 10_000, output: 1_000))
        // 150k×3 + 40k×3 (no cached price) + 10k×3.75 + 1k×15, per million
        #expect(atThreshold.cost == Money(decimalUSD: "0.6225"))
        #expect(atThreshold.entry.tierAbove == nil)
        let above = try charge(Usage(input: 150_001, cachedInput: 40_000, cacheWrite: 10_000, output: 1_000))
        // 150001×6 + 40k×6 (cache reads follow the tier's input) + 10k×3.75 (named in base) + 1k×22.5
        #expect(above.cost == Money(decimalUSD: "1.200006"))
        #expect(above.entry.tierAbove == 200_000)
    }

    @Test func pricesARelayInRealUSDAgainstTheOfficialPrice() throws {
        let book = try PriceBook()
        let usage = Usage(input: 1_000_000, cachedInput: 1_000_000, output: 1_000_000)
        let charge = try #require(book.charge(provider: "holysheep", requestedModel: "gpt-4.1", at: Date(), usage: usage).charge)
        // (2.00 + 0.50 + 8.00) credits × $0.1406
        #expect(charge.cost == Money(decimalUSD: "1.4763"))
        #expect(charge.listCost == Money(decimalUSD: "10.50"))
        #expect(charge.savings == Money(decimalUSD: "9.0237"))
        #expect(charge.listEntry?.provider == "openai")
        #expect(charge.listEntry?.table == "official/openai.json")
        #expect(charge.entry.table == "relays/holysheep.json")
    }

    @Test func leavesSavingsUnknownWithoutAnOfficialCounterpart() throws {
        let relay = """
            { "provider": "relay", "kind": "relay", "source": "test", "billing": { "credit_usd": "0.5" },
              "models": { "house-model": { "prices": [{ "input": "1", "output": "1" }] } } }
            """
        let book = try book([("relay.json", relay)])
        let charge = try #require(book.charge(provider: "relay", requestedModel: "house-model", at: Date(), usage: Usage(input: 1_000_000)).charge)
        #expect(charge.cost == Money(decimalUSD: "0.50"))
        #expect(charge.listCost == nil)
        #expect(charge.savings == nil)
    }

    @Test func letsAUserTableOverrideOneBundledModel() throws {
        let mine = """
            { "provider": "openai", "kind": "official", "source": "my negotiated prices",
              "models": { "gpt-4.1": { "prices": [{ "input": "1.00", "output": "4.00" }] } } }
            """
        let book = try book([("/home/me/openai.json", mine)], bundled: true)
        let usage = Usage(input: 1_000_000)
        let mineCharge = try #require(book.charge(provider: "openai", requestedModel: "gpt-4.1", at: Date(), usage: usage).charge)
        #expect(mineCharge.cost == Money(decimalUSD: "1.00"))
        #expect(mineCharge.entry.table == "/home/me/openai.json")
        // Other bundled OpenAI models stay, from the bundled file.
        let other = try #require(book.charge(provider: "openai", requestedModel: "gpt-4o", at: Date(), usage: usage).charge)
        #expect(other.entry.table == "official/openai.json")
        // The relay's list price now follows the user's official price.
        let relay = try #require(book.charge(provider: "holysheep", requestedModel: "gpt-4.1", at: Date(), usage: usage).charge)
        #expect(relay.listCost == Money(decimalUSD: "1.00"))
    }

    @Test func offersEveryProviderOfTheSameOfficialModel() throws {
        let book = try PriceBook()
        let offers = book.offers(for: "claude-sonnet-4.5", at: Date())
        #expect(offers.map(\.table.provider) == ["anthropic", "holysheep"])
        let relay = try #require(offers.last)
        #expect(relay.effectiveRates.input == TokenPrice(decimalUSD: "0.4218"))
        #expect(PriceBook.Offer.savingPermille(paying: relay.effectiveRates.output, against: relay.officialEntry?.rates.output) == 859)
    }

    @Test func loadsEveryBundledTable() throws {
        let book = try PriceBook()
        #expect(Set(book.tables.map(\.provider)) == ["anthropic", "deepseek", "gemini", "holysheep", "mistral", "openai", "xai"])
        #expect(book.tables.allSatisfy { !$0.source.isEmpty })
    }
}
