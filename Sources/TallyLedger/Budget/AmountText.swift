package import TallyPricing

/// Reads a positive amount of USD given as text ("500", "12.50"), or says exactly why it is not one.
package enum AmountText {
    /// The largest amount Tally holds: Int64.max nano-USD.
    package static let largest = Money(nanoUSD: .max)

    /// The amount, or the reason it is refused: not a number, not positive, too precise, too large.
    package static func positiveUSD(_ text: String) -> Result<Money, Refusal> {
        guard let number = DecimalText(text, allowSign: true) else {
            return .failure(Refusal(reason: "is not a decimal amount of USD such as 500 or 12.50"))
        }
        if number.isNegative || number.significand == 0 {
            return .failure(Refusal(reason: "must be more than zero"))
        }
        if number.decimalPlaces > 9 {
            return .failure(Refusal(reason: "has more than 9 decimal places (amounts are exact to the nano-USD)"))
        }
        guard let money = Money(decimalUSD: text) else {
            return .failure(Refusal(reason: "is above the largest amount Tally holds (\(largest.decimalString) USD)"))
        }
        return .success(money)
    }

    /// "80" or "82.5" (percent) as tenths of a percent; nil outside 0...100 or with more than one decimal.
    package static func permille(_ text: String) -> Int64? {
        guard let number = DecimalText(text), let value = number.scaled(toDecimals: 1, rounding: .exact), (0...1000).contains(value) else {
            return nil
        }
        return value
    }

    /// Why a text is not an amount.
    package struct Refusal: Error, Sendable {
        /// "must be more than zero".
        package var reason: String
    }
}
