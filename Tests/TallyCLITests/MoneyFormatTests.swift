import Testing
import TallyPricing
@testable import tally

struct MoneyFormatTests {
    @Test func formatsDollarsWithSeparatorsAndCents() {
        #expect(MoneyFormat.text(Money(nanoUSD: 1_234_560_000_000)) == "$1,234.56")
        #expect(MoneyFormat.text(Money(nanoUSD: 1_234_565_000_000)) == "$1,234.56")  // half to even
        #expect(MoneyFormat.text(Money(nanoUSD: 1_234_575_000_000)) == "$1,234.58")
        #expect(MoneyFormat.text(Money(nanoUSD: 12_345_678_900_000_000)) == "$12,345,678.90")
        #expect(MoneyFormat.text(Money(nanoUSD: -3_100_000_000)) == "-$3.10")
        #expect(MoneyFormat.text(Money.zero) == "$0.00")
        #expect(MoneyFormat.text(nil) == "unknown")
    }

    @Test func showsSubCentAmountsInsteadOfZero() {
        #expect(MoneyFormat.text(Money(nanoUSD: 4_200_000)) == "$0.0042")
        #expect(MoneyFormat.text(Money(nanoUSD: 4_250_000)) == "$0.0042")  // two significant digits, half to even
        #expect(MoneyFormat.text(Money(nanoUSD: 125)) == "$0.00000012")
        #expect(MoneyFormat.text(Money(nanoUSD: 9_999_000)) == "$0.01")
        #expect(MoneyFormat.text(Money(nanoUSD: 10_000_000)) == "$0.01")
    }

    @Test func writesPerfdataAndPercentages() {
        #expect(MoneyFormat.plain(Money(nanoUSD: 412_500_000_000)) == "412.50")
        #expect(MoneyFormat.plain(Money(nanoUSD: 4_200_000)) == "0.00")
        #expect(MoneyFormat.percent(Money(nanoUSD: 825), of: Money(nanoUSD: 1000)) == "82.5")
        #expect(MoneyFormat.percent(Money(nanoUSD: -1), of: Money(nanoUSD: 3)) == "-33.3")
        #expect(MoneyFormat.percent(Money(nanoUSD: 1), of: .zero) == nil)
        #expect(MoneyFormat.count(1_234_567) == "1,234,567")
    }
}
