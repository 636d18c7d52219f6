/// An exact amount of US dollars, in integer nano-USD (1e-9 USD).
///
/// Money never passes through binary floating point: it is parsed from decimal text,
/// added as integers, and printed back as decimal text.
public struct Money: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The amount in nano-USD.
    public var nanoUSD: Int64

    /// Creates an amount from nano-USD.
    public init(nanoUSD: Int64) { self.nanoUSD = nanoUSD }

    /// Zero dollars.
    public static let zero = Money(nanoUSD: 0)

    /// Nano-USD in one dollar.
    public static let nanosPerUSD: Int64 = 1_000_000_000

    /// Parses a decimal string of dollars ("12.5", "-0.000000001"); nil when it is not a
    /// plain decimal or has more than nine decimal places.
    public init?(decimalUSD text: some StringProtocol) {
        guard let number = DecimalText(text, allowSign: true, allowExponent: false),
              let nanos = number.scaled(toDecimals: 9, rounding: .exact) else { return nil }
        self.nanoUSD = nanos
    }

    /// The exact amount as a decimal string of dollars, with at least two decimals ("1234.50", "0.000000125").
    public var decimalString: String {
        let negative = nanoUSD < 0
        let magnitude = nanoUSD.magnitude
        let whole = magnitude / UInt64(Self.nanosPerUSD)
        var fraction = String(magnitude % UInt64(Self.nanosPerUSD))
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.count > 2, fraction.last == "0" { fraction.removeLast() }
        return (negative ? "-" : "") + "\(whole).\(fraction)"
    }

    /// The amount as "$1.25"-style text with every significant decimal.
    public var description: String {
        nanoUSD < 0 ? "-$" + Money(nanoUSD: 0 &- nanoUSD).decimalString : "$" + decimalString
    }

    /// Orders amounts by value.
    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.nanoUSD < rhs.nanoUSD }

    /// Adds two amounts.
    public static func + (lhs: Money, rhs: Money) -> Money { Money(nanoUSD: lhs.nanoUSD + rhs.nanoUSD) }

    /// Subtracts one amount from another.
    public static func - (lhs: Money, rhs: Money) -> Money { Money(nanoUSD: lhs.nanoUSD - rhs.nanoUSD) }

    /// Adds an amount in place.
    public static func += (lhs: inout Money, rhs: Money) { lhs.nanoUSD += rhs.nanoUSD }
}

extension Money {
    /// The amount rounded half to even to whole cents, in cents.
    public var roundedCents: Int64 {
        Int64(Exact.divideRoundingHalfEven(Int128(nanoUSD), by: 10_000_000))
    }
}

/// Exact integer helpers for the money path.
package enum Exact {
    /// `n / d` rounded half to even. `d` must be positive.
    package static func divideRoundingHalfEven(_ n: Int128, by d: Int128) -> Int128 {
        var quotient = n / d
        let remainder = n % d
        if remainder == 0 { return quotient }
        let twice = remainder.magnitude * 2
        let towardInfinity: Int128 = n < 0 ? -1 : 1
        if twice > d.magnitude || (twice == d.magnitude && quotient % 2 != 0) {
            quotient += towardInfinity
        }
        return quotient
    }

    /// Ten to the power `n` (0 ≤ n ≤ 38).
    package static func powerOfTen(_ n: Int) -> Int128 {
        var result: Int128 = 1
        for _ in 0..<n { result *= 10 }
        return result
    }
}
