import Foundation
import Testing
@testable import TallyPricing

/// Loads tables from JSON text on top of nothing, or of the bundled tables.
func book(_ tables: [(String, String)], bundled: Bool = false) throws(PriceTableError) -> PriceBook {
    try PriceBook(includingBundled: bundled, userTables: tables.map { PriceBook.Source(origin: $0.0, bytes: Array($0.1.utf8)) })
}

/// The problems loading these tables reports; empty when they load.
func problems(_ tables: [(String, String)], bundled: Bool = false) -> [PriceTableProblem] {
    do {
        _ = try book(tables, bundled: bundled)
        return []
    } catch {
        return error.problems
    }
}

let officialTable = """
    {
      "provider": "acme",
      "kind": "official",
      "source": "test",
      "models": {
        "acme-1": {
          "aliases": ["acme-one"],
          "prices": [
            { "input": "10.00", "output": "40.00" },
            { "from": "2025-06-10", "input": "2.00", "cached_input": "0.50", "output": "8.00" }
          ]
        }
      }
    }
    """

struct PriceTableDecoderTests {
    @Test func readsAValidTable() throws {
        let book = try book([("acme.json", officialTable)])
        let table = try #require(book.table(provider: "acme"))
        #expect(table.kind == .official)
        #expect(table.creditUSD == Money(decimalUSD: "1"))
        let model = try #require(table.models.first)
        #expect(model.prices.count == 2)
        #expect(model.prices[1].rates.cachedInput == TokenPrice(decimalUSD: "0.50"))
        #expect(model.prices[1].from == CalendarDay("2025-06-10"))
    }

    @Test func reportsASyntaxErrorWithItsLine() {
        let found = problems([("bad.json", "{\n  \"provider\": \"x\",\n  \"kind\": official\n}")])
        #expect(found.count == 1)
        #expect(found.first?.description == "bad.json: $: invalid JSON at line 3, column 11: unexpected character 'o'")
    }

    @Test func reportsATypoedFieldWithASuggestion() {
        let text = officialTable.replacingFirst("\"output\": \"40.00\"", with: "\"ouput\": \"40.00\"")
        let found = problems([("acme.json", text)]).map(\.description)
        #expect(found.contains("acme.json: $.models[\"acme-1\"].prices[0].ouput: unknown field \"ouput\"; did you mean \"output\"?"))
        #expect(found.contains("acme.json: $.models[\"acme-1\"].prices[0]: missing required price \"output\""))
    }

    @Test func reportsNegativeAndNonNumericPrices() {
        var text = officialTable.replacingFirst("\"10.00\"", with: "\"-10.00\"")
        text = text.replacingFirst("\"40.00\"", with: "\"forty\"")
        text = text.replacingFirst("\"8.00\"", with: "8.00")
        let found = problems([("acme.json", text)]).map(\.description)
        #expect(found == [
            "acme.json: $.models[\"acme-1\"].prices[0].input: price \"-10.00\" is negative",
            "acme.json: $.models[\"acme-1\"].prices[0].output: price \"forty\" is not a decimal number of USD per million tokens like \"2.50\"",
            "acme.json: $.models[\"acme-1\"].prices[1].output: price must be a decimal string such as \"8.00\", not a JSON number (numbers can lose precision)",
        ])
    }

    @Test func reportsDatesOutOfOrderOrRepeated() {
        let entries = """
            { "from": "2025-06-10", "input": "1", "output": "1" },
            { "from": "2025-06-10", "input": "1", "output": "1" },
            { "from": "2025-01-01", "input": "1", "output": "1" },
            { "input": "1", "output": "1" }
            """
        let text = """
            { "provider": "acme", "kind": "official", "source": "test",
              "models": { "m": { "prices": [\(entries)] } } }
            """
        let found = problems([("acme.json", text)]).map(\.description)
        #expect(found == [
            "acme.json: $.models.m.prices[1].from: date 2025-06-10 repeats the previous entry's",
            "acme.json: $.models.m.prices[2].from: date 2025-01-01 is before the previous entry's 2025-06-10; list entries oldest first",
            "acme.json: $.models.m.prices[3]: missing \"from\": only the first entry may apply from the beginning",
        ])
    }

    @Test func reportsAnAliasClaimedByTwoModels() {
        let text = """
            { "provider": "acme", "kind": "official", "source": "test", "models": {
              "a": { "aliases": ["shared"], "prices": [{ "input": "1", "output": "1" }] },
              "b": { "aliases": ["shared", "a"], "prices": [{ "input": "1", "output": "1" }] } } }
            """
        let found = problems([("acme.json", text)]).map(\.description)
        #expect(found == [
            "acme.json: $.models.b.aliases[0]: alias \"shared\" is also claimed by model \"a\"",
            "acme.json: $.models.b.aliases[1]: alias \"a\" is already a model of this table",
        ])
    }

    @Test func reportsARelayPointingAtAMissingOfficialModel() {
        let relay = """
            { "provider": "relay", "kind": "relay", "source": "test", "billing": { "credit_usd": "0.14" },
              "models": {
                "x": { "official": "acme/acme-9", "prices": [{ "input": "1", "output": "1" }] },
                "y": { "official": "nobody/m", "prices": [{ "input": "1", "output": "1" }] } } }
            """
        let found = problems([("acme.json", officialTable), ("relay.json", relay)]).map(\.description)
        #expect(found == [
            "relay.json: $.models.x.official: \"acme/acme-9\": provider acme has no model \"acme-9\"",
            "relay.json: $.models.y.official: \"nobody/m\" names provider \"nobody\", which has no price table",
        ])
    }

    @Test func refusesARelayOrResellerThatDoesNotStateItsCreditRate() {
        for kind in ["relay", "reseller"] {
            let table = """
                { "provider": "r", "kind": "\(kind)", "source": "test", "models": { "m": { "prices": [{ "input": "1", "output": "1" }] } } }
                """
            #expect(problems([("r.json", table)]).map(\.description) == [
                "r.json: $.billing.credit_usd: a \(kind) table must state what one unit of its price costs in USD (\"1\" if it bills in USD)",
            ])
        }
        let noRate = """
            { "provider": "r", "kind": "relay", "source": "test", "billing": { "note": "n" }, "models": {} }
            """
        #expect(problems([("r.json", noRate)]).map(\.description) == ["r.json: $.billing: missing required field \"credit_usd\""])
        let usd = """
            { "provider": "r", "kind": "relay", "source": "test", "billing": { "credit_usd": "1" }, "models": {} }
            """
        #expect(problems([("r.json", usd)]).isEmpty)
    }

    @Test func reportsAnOfficialReferenceThatIsNotProviderSlashModel() {
        let relay = """
            { "provider": "relay", "kind": "relay", "source": "test", "billing": { "credit_usd": "1" },
              "models": { "z": { "official": "acme", "prices": [{ "input": "1", "output": "1" }] } } }
            """
        let found = problems([("acme.json", officialTable), ("relay.json", relay)]).map(\.description)
        #expect(found == ["relay.json: $.models.z.official: \"acme\" must name an official model as \"provider/model\""])
    }

    @Test func reportsBadBillingAndKind() {
        let text = """
            { "provider": "Relay One", "kind": "broker", "source": "test", "billing": { "credit_usd": "0", "rate": "1" }, "models": {} }
            """
        let found = problems([("r.json", text)]).map(\.description)
        #expect(found == [
            "r.json: $.provider: \"Relay One\" must be lowercase letters, digits, '-', '_' or '.'",
            "r.json: $.kind: \"broker\" must be one of official, relay, reseller",
            "r.json: $.billing.rate: unknown field \"rate\"",
            "r.json: $.billing.credit_usd: \"0\" must be a positive decimal string of USD with at most 9 decimal places",
        ])
    }

    @Test func loadsNothingWhenOneTableIsBad() {
        let bad = officialTable.replacingFirst("\"acme\"", with: "\"other\"").replacingFirst("\"10.00\"", with: "\"x\"")
        #expect(problems([("acme.json", officialTable), ("other.json", bad)]).count == 1)
    }

    @Test func refusesDuplicateMembers() {
        let found = problems([("d.json", "{ \"provider\": \"a\", \"provider\": \"b\" }")])
        #expect(found.first?.message == "invalid JSON at line 1, column 20: duplicate member \"provider\"")
    }

    @Test func checksTiers() {
        let text = """
            { "provider": "acme", "kind": "official", "source": "test", "models": {
              "m": { "prices": [{ "input": "1", "output": "2", "tiers": [
                { "above": 200000, "input": "2" }, { "above": 100000, "output": "3" }, { "above": 1.5 }, { "above": 300000 } ] }] } } }
            """
        let found = problems([("t.json", text)]).map(\.description)
        #expect(found == [
            "t.json: $.models.m.prices[0].tiers[1].above: thresholds must increase: 100000 follows 200000",
            "t.json: $.models.m.prices[0].tiers[2].above: 1.5 must be a positive whole number of prompt tokens",
            "t.json: $.models.m.prices[0].tiers[2]: a tier must set at least one price",
            "t.json: $.models.m.prices[0].tiers[3]: a tier must set at least one price",
        ])
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
