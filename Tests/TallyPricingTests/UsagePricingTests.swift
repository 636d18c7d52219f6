import Foundation
import Testing
@testable import TallyPricing
import TallyUsage

/// Usages an upstream should never report are never priced (their flags are tested in TallyUsageTests).
struct UsagePricingTests {
    let table = """
        { "provider": "acme", "kind": "official", "source": "test",
          "models": { "m": { "prices": [{ "input": "2.00", "cached_input": "0.50", "output": "8.00" }] } } }
        """

    @Test func countsAboveTheBoundOrBelowZeroAreImplausibleAndUnpriced() throws {
        let book = try book([("acme.json", table)])
        let absurd = [
            Usage(input: 1_000_000_000_000_000, output: 1_000_000_000_000_000),
            Usage(input: 600_000_000_000_000, output: 600_000_000_000_000),
            Usage(input: -1_000, output: -5),
            Usage.fromInclusive(prompt: 10, cached: 20, completion: 5, reasoning: 0),  // input comes out -10
            Usage(output: Usage.plausibleMaximum + 1),
            Usage(input: .max, cachedInput: .max, cacheWrite: .max, cacheWrite1h: .max, output: .max, reasoning: .max),
        ]
        for usage in absurd {
            #expect(book.charge(provider: "acme", requestedModel: "m", at: Date(), usage: usage) == .unpriced(.implausibleUsage), "\(usage)")
        }
        let edge = Usage(input: Usage.plausibleMaximum, output: Usage.plausibleMaximum)
        // 10^9 × $2 + 10^9 × $8 per million tokens: exactly $10,000.
        #expect(book.charge(provider: "acme", requestedModel: "m", at: Date(), usage: edge).charge?.cost == Money(decimalUSD: "10000"))
    }

    @Test func aCostTooLargeForTheLedgerIsUnpricedNeverSaturated() throws {
        let rates = PriceEntry.Rates(
            input: TokenPrice(nanoUSDPerMillion: .max), cachedInput: .zero, cacheWrite: .zero, cacheWrite1h: .zero,
            output: TokenPrice(nanoUSDPerMillion: .max), reasoning: nil
        )
        let usage = Usage(input: Usage.plausibleMaximum, output: Usage.plausibleMaximum)
        #expect(PriceBook.cost(of: usage, rates: rates, creditUSD: Money(nanoUSD: Money.nanosPerUSD)) == nil)
        #expect(PriceBook.cost(of: Usage(input: .max, output: .max), rates: rates, creditUSD: Money(nanoUSD: .max)) == nil)
        // The largest exact amount still comes out exact.
        #expect(PriceBook.cost(of: Usage(input: 1_000_000), rates: rates, creditUSD: Money(nanoUSD: Money.nanosPerUSD)) == Money(nanoUSD: .max))
    }
}

struct MoneySumTests {
    @Test func sumsPastInt64ExactlyAndSaysWhenTheyNoLongerFitAnAmount() {
        var sum = MoneySum()
        for _ in 0..<8 { sum.add(Money(nanoUSD: .max)) }
        #expect(sum.nanoUSD == Int128(Int64.max) * 8)
        #expect(sum.money == nil)
        for _ in 0..<8 { sum.add(Money(nanoUSD: -Int64.max)) }
        sum.add(Money(nanoUSD: 42))
        #expect(sum.money == Money(nanoUSD: 42))
        #expect(MoneySum(Money(nanoUSD: .min)).subtracting(MoneySum(Money(nanoUSD: 1))).money == nil)
    }
}
