import Foundation
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

    @Test func keepsASignificantTrailingZeroUnderACent() {
        #expect(MoneyFormat.text(Money(nanoUSD: 7_979_564)) == "$0.0080")
        #expect(MoneyFormat.text(Money(nanoUSD: 4_002_000)) == "$0.0040")
        #expect(MoneyFormat.text(Money(nanoUSD: 100)) == "$0.00000010")
        #expect(MoneyFormat.text(Money(nanoUSD: -500_000)) == "-$0.00050")
        #expect(MoneyFormat.text(Money(nanoUSD: 1)) == "$0.000000001")
    }

    @Test func writesExactAmountsForEstimates() {
        #expect(MoneyFormat.exact(Money(nanoUSD: 8_000_008_000)) == "$8.000008")
        #expect(MoneyFormat.exact(Money(nanoUSD: 1_124_801_125_000)) == "$1,124.801125")
        #expect(MoneyFormat.exact(Money.zero) == "$0.00")
        #expect(MoneyFormat.exact(Money(nanoUSD: -3_100_000_000)) == "-$3.10")
    }

    @Test func writesPercentagesAndCounts() {
        #expect(MoneyFormat.percent(Money(nanoUSD: 825), of: Money(nanoUSD: 1000)) == "82.5")
        #expect(MoneyFormat.percent(Money(nanoUSD: -1), of: Money(nanoUSD: 3)) == "-33.3")
        #expect(MoneyFormat.percent(Money(nanoUSD: 1), of: .zero) == nil)
        #expect(MoneyFormat.count(1_234_567) == "1,234,567")
    }

    /// "1,234,567", written independently of MoneyFormat.
    static func grouped(_ value: Int) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.usesGroupingSeparator = true
        formatter.groupingSeparator = ","
        formatter.groupingSize = 3
        return formatter.string(from: NSNumber(value: value)) ?? ""
    }
}
