import TallyPricing

/// Reads a positive amount of USD given as text ("500", "12.50"), or says exactly why it is not one.
enum AmountText {
    /// The largest amount Tally holds: Int64.max nano-USD.
    static let largest = Money(nanoUSD: .max)

    /// The amount, or the reason it is refused: not a number, not positive, too precise, too large.
    static func positiveUSD(_ text: String) -> Result<Money, Refusal> {
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

    /// Why a text is not an amount.
    struct Refusal: Error {
        /// "must be more than zero".
        var reason: String
    }
}
