/// A price in US dollars per million tokens, exact to nine decimal places.
///
/// Price tables write prices as decimal strings ("2.50", "0.0375"), as pricing pages print
/// them; they are stored as integer nano-USD per million tokens.
public struct TokenPrice: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The price in nano-USD per million tokens.
    public var nanoUSDPerMillion: Int64

    /// Creates a price from nano-USD per million tokens.
    public init(nanoUSDPerMillion: Int64) { self.nanoUSDPerMillion = nanoUSDPerMillion }

    /// Parses a non-negative decimal string of USD per million tokens; nil when it is not one
    /// or has more than nine decimal places.
    public init?(decimalUSD text: some StringProtocol) {
        guard let number = DecimalText(text),
              let value = number.scaled(toDecimals: 9, rounding: .exact) else { return nil }
        self.nanoUSDPerMillion = value
    }

    /// Free.
    public static let zero = TokenPrice(nanoUSDPerMillion: 0)

    /// The price as a decimal string with at least two decimals ("2.50", "0.0375").
    public var decimalString: String { Money(nanoUSD: nanoUSDPerMillion).decimalString }

    /// The price as "$2.50"-style text.
    public var description: String { "$" + decimalString }

    /// Orders prices by value.
    public static func < (lhs: TokenPrice, rhs: TokenPrice) -> Bool { lhs.nanoUSDPerMillion < rhs.nanoUSDPerMillion }

    /// This price converted to real USD at a credit rate, rounded half to even to the nano-USD.
    public func inUSD(creditUSD: Money) -> TokenPrice {
        let product = Int128(nanoUSDPerMillion) * Int128(creditUSD.nanoUSD)
        return TokenPrice(nanoUSDPerMillion: Int64(clamping: Exact.divideRoundingHalfEven(product, by: Int128(Money.nanosPerUSD))))
    }
}
