import Testing
@testable import TallyPricing

struct DecimalTextTests {
    @Test func readsExponentsFromTheDigitsNotFromADouble() throws {
        // LiteLLM writes prices per token; per million tokens they must come out exact.
        func perMillion(_ text: String) -> Int64? {
            guard var number = DecimalText(text, allowExponent: true) else { return nil }
            number.exponent += 6
            return number.scaled(toDecimals: 9, rounding: .exact)
        }
        #expect(perMillion("2e-06") == 2_000_000_000)
        #expect(perMillion("1.1e-06") == 1_100_000_000)
        #expect(perMillion("3.75e-06") == 3_750_000_000)
        #expect(perMillion("1.875e-07") == 187_500_000)
        #expect(perMillion("0.0") == 0)
        #expect(perMillion("1E-6") == 1_000_000_000)
        #expect(perMillion("8.900000000000001e-07") == nil)  // 16 decimals per MTok: not exact at 9
    }

    @Test func roundsHalfToEvenWhenAsked() {
        let number = DecimalText("0.0000000005")  // half a nano
        #expect(number?.scaled(toDecimals: 9, rounding: .halfToEven) == 0)
        #expect(DecimalText("0.0000000015")?.scaled(toDecimals: 9, rounding: .halfToEven) == 2)
        #expect(DecimalText("0.0000000015")?.scaled(toDecimals: 9, rounding: .exact) == nil)
    }

    @Test func refusesSignsAndExponentsUnlessAllowed() {
        #expect(DecimalText("-1") == nil)
        #expect(DecimalText("-1", allowSign: true)?.isNegative == true)
        #expect(DecimalText("1e3") == nil)
        #expect(DecimalText("1e", allowExponent: true) == nil)
        #expect(DecimalText("1.2.3") == nil)
        #expect(DecimalText("0x10") == nil)
    }

    @Test func countsDecimalPlaces() {
        #expect(DecimalText("2.50")?.decimalPlaces == 1)
        #expect(DecimalText("0.0375")?.decimalPlaces == 4)
        #expect(DecimalText("15")?.decimalPlaces == 0)
    }
}
