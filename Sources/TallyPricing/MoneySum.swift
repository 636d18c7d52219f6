/// An exact sum of amounts that cannot overflow: 128 bits wide, read back as a ``Money`` only
/// when it fits one.
///
/// Every sum of ledger amounts goes through this type rather than ``Money``'s `+`, which traps
/// past ±$9.2 billion: a report, a what-if or a re-pricing adds up amounts taken from upstream input.
package struct MoneySum: Sendable, Hashable {
    /// The sum in nano-USD.
    package private(set) var nanoUSD: Int128

    /// A sum of nothing, or of a 128-bit amount.
    package init(nanoUSD: Int128 = 0) { self.nanoUSD = nanoUSD }

    /// A sum holding one amount.
    package init(_ money: Money) { self.nanoUSD = Int128(money.nanoUSD) }

    /// Adds an amount. A sum of at most 2⁶³ amounts cannot overflow.
    package mutating func add(_ money: Money) { nanoUSD += Int128(money.nanoUSD) }

    /// Adds another sum (of at most 2⁶³ amounts in all).
    package mutating func add(_ other: MoneySum) { nanoUSD += other.nanoUSD }

    /// This sum minus another.
    package func subtracting(_ other: MoneySum) -> MoneySum { MoneySum(nanoUSD: nanoUSD - other.nanoUSD) }

    /// The sum as an amount; nil when it lies outside ±$9,223,372,036.854775807.
    package var money: Money? { Int64(exactly: nanoUSD).map(Money.init(nanoUSD:)) }
}
