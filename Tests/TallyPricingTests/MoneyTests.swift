import Testing
@testable import TallyPricing

struct MoneyTests {
    @Test func parsesDecimalStringsExactly() throws {
        #expect(Money(decimalUSD: "0.0375")?.nanoUSD == 37_500_000)
        #expect(Money(decimalUSD: "15")?.nanoUSD == 15_000_000_000)
        #expect(Money(decimalUSD: "0.000")?.nanoUSD == 0)
        #expect(Money(decimalUSD: "0.000000001")?.nanoUSD == 1)
        #expect(Money(decimalUSD: "-2.5")?.nanoUSD == -2_500_000_000)
        #expect(Money(decimalUSD: "9223372036.854775807")?.nanoUSD == Int64.max)
    }

    @Test func refusesWhatIsNotAnExactDecimal() {
        #expect(Money(decimalUSD: "0.0000000001") == nil)  // ten decimals: not representable
        #expect(Money(decimalUSD: "1e-6") == nil)
        #expect(Money(decimalUSD: "abc") == nil)
        #expect(Money(decimalUSD: "") == nil)
        #expect(Money(decimalUSD: "1.") == nil)
        #expect(Money(decimalUSD: ".5") == nil)
        #expect(Money(decimalUSD: "1,5") == nil)
        #expect(Money(decimalUSD: "9223372037") == nil)  // overflows Int64 nano-USD
    }

    @Test func printsEveryDecimalItHolds() {
        #expect(Money(nanoUSD: 1_234_500_000_000).decimalString == "1234.50")
        #expect(Money(nanoUSD: 125).decimalString == "0.000000125")
        #expect(Money(nanoUSD: -2_500_000_000).description == "-$2.50")
        #expect(Money.zero.decimalString == "0.00")
    }

    @Test func sumsOneMillionRequestsExactly() {
        // $0.0000021 per request (e.g. 7 tokens at $0.30/MTok) a million times is exactly $2.10;
        // the same sum in Double drifts.
        let perRequest = Money(nanoUSD: 2_100)
        var total = Money.zero
        var floating = 0.0
        for _ in 0..<1_000_000 {
            total += perRequest
            floating += 0.0000021
        }
        #expect(total == Money(decimalUSD: "2.10"))
        #expect(floating != 2.1)
    }

    @Test func roundsHalfToEven() {
        #expect(Exact.divideRoundingHalfEven(25, by: 10) == 2)
        #expect(Exact.divideRoundingHalfEven(35, by: 10) == 4)
        #expect(Exact.divideRoundingHalfEven(26, by: 10) == 3)
        #expect(Exact.divideRoundingHalfEven(24, by: 10) == 2)
        #expect(Exact.divideRoundingHalfEven(-25, by: 10) == -2)
        #expect(Exact.divideRoundingHalfEven(-35, by: 10) == -4)
        #expect(Exact.divideRoundingHalfEven(-26, by: 10) == -3)
        #expect(Money(nanoUSD: 5_000_000).roundedCents == 0)
        #expect(Money(nanoUSD: 15_000_000).roundedCents == 2)
    }
}
