import TallyPricing

/// Money as people read it in reports: "$1,234.56"; amounts under a cent keep two significant
/// digits ("$0.0042") instead of showing as $0.00; unknown amounts say so.
enum MoneyFormat {
    /// "$1,234.56", "-$3.10", "$0.0042", "$0.00".
    static func text(_ money: Money) -> String {
        let negative = money.nanoUSD < 0
        let magnitude = money.nanoUSD.magnitude
        let sign = negative ? "-" : ""
        guard magnitude != 0 else { return "$0.00" }
        if magnitude < 10_000_000 {  // under one cent
            // Two significant digits, rounded half to even.
            var digits = 0
            var scale: UInt64 = 1
            while magnitude / scale >= 100 {
                scale *= 10
                digits += 1
            }
            let rounded = UInt64(Exact.divideRoundingHalfEven(Int128(magnitude), by: Int128(scale))) * scale
            let fraction = String(rounded)
            let padded = String(repeating: "0", count: 9 - fraction.count) + fraction
            var text = padded
            while text.last == "0" { text.removeLast() }
            return "\(sign)$0.\(text)"
        }
        let cents = Exact.divideRoundingHalfEven(Int128(magnitude), by: 10_000_000)
        let whole = cents / 100
        let fraction = cents % 100
        return "\(sign)$\(grouped(String(whole))).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// An optional amount, "unknown" when nil.
    static func text(_ money: Money?) -> String {
        money.map(text) ?? "unknown"
    }

    /// Dollars with two decimals and no symbol or separators, for perfdata ("412.50").
    static func plain(_ money: Money) -> String {
        let cents = Exact.divideRoundingHalfEven(Int128(money.nanoUSD), by: 10_000_000)
        let negative = cents < 0
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return "\(negative ? "-" : "")\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// "12,345,678".
    static func grouped(_ digits: String) -> String {
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out
    }

    /// A count with thousands separators.
    static func count(_ value: Int64) -> String {
        value < 0 ? "-" + grouped(String(value.magnitude)) : grouped(String(value))
    }

    /// `part / whole` as a percentage with one decimal ("85.9"), half to even; nil when whole is 0.
    static func percent(_ part: Money, of whole: Money) -> String? {
        guard whole.nanoUSD != 0 else { return nil }
        let permille = Exact.divideRoundingHalfEven(Int128(part.nanoUSD) * 1000, by: Int128(whole.nanoUSD))
        let negative = permille < 0
        let magnitude = permille.magnitude
        return "\(negative ? "-" : "")\(magnitude / 10).\(magnitude % 10)"
    }
}
