import TallyPricing

/// Money as people read it in reports: "$1,234.56"; amounts under a cent keep two significant
/// digits ("$0.0042", "$0.0080") instead of showing as $0.00; unknown amounts say so.
enum MoneyFormat {
    /// "$1,234.56", "-$3.10", "$0.0042", "$0.00".
    static func text(_ money: Money) -> String {
        let negative = money.nanoUSD < 0
        let magnitude = money.nanoUSD.magnitude
        let sign = negative ? "-" : ""
        guard magnitude != 0 else { return "$0.00" }
        if magnitude < 10_000_000 {  // under one cent
            // Two significant digits, rounded half to even; a significant trailing zero is kept
            // ("$0.0080" for 0.007979564, "$0.0040" for 0.004002).
            var scale: UInt64 = 1
            while magnitude / scale >= 100 { scale *= 10 }
            let rounded = UInt64(Exact.divideRoundingHalfEven(Int128(magnitude), by: Int128(scale)))
            if rounded * scale >= 10_000_000 { return "\(sign)$0.01" }  // rounds up to a whole cent
            let fraction = String(rounded * scale)
            let padded = String(repeating: "0", count: 9 - fraction.count) + fraction
            // Drop the digits below the second significant one (zeros after rounding).
            let shown = padded.dropLast(String(scale).count - 1)
            return "\(sign)$0.\(shown)"
        }
        let cents = Exact.divideRoundingHalfEven(Int128(magnitude), by: 10_000_000)
        let whole = cents / 100
        let fraction = cents % 100
        return "\(sign)$\(grouped(String(whole))).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Every significant decimal, with separators: "$8.000008", "$1,124.801125", "$0.00": for
    /// estimates, where providers a fraction of a cent apart must still compare.
    static func exact(_ money: Money) -> String {
        let text = money.decimalString
        let negative = text.hasPrefix("-")
        let unsigned = negative ? String(text.dropFirst()) : text
        let parts = unsigned.split(separator: ".", maxSplits: 1)
        let whole = grouped(String(parts[0]))
        return (negative ? "-" : "") + "$" + whole + (parts.count > 1 ? "." + parts[1] : "")
    }

    /// An optional amount, exact, "unknown" when nil.
    static func exact(_ money: Money?) -> String {
        money.map(exact) ?? "unknown"
    }

    /// An optional amount, "unknown" when nil.
    static func text(_ money: Money?) -> String {
        money.map(text) ?? "unknown"
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
