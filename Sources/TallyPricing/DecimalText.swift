/// A decimal number read from text digit by digit, never through binary floating point.
///
/// Holds the digits as an integer `significand` and a power of ten: the value is
/// `significand × 10^exponent`. Accepts "2.50", "15", "0.0375" and, where allowed, a sign
/// and an exponent ("1.1e-06", as LiteLLM writes prices per token).
package struct DecimalText: Sendable, Hashable {
    /// The digits as an integer, sign included.
    package var significand: Int128
    /// The power of ten the significand is multiplied by.
    package var exponent: Int

    /// How `scaled(toDecimals:rounding:)` treats digits beyond the requested precision.
    package enum Rounding: Sendable {
        /// Fail when a non-zero digit would be lost.
        case exact
        /// Round half to even.
        case halfToEven
    }

    /// Parses decimal text; nil when it is not a number of this form or has more than 36 digits.
    package init?(_ text: some StringProtocol, allowSign: Bool = false, allowExponent: Bool = false) {
        var bytes = Substring(text).utf8[...]
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            guard allowSign else { return nil }
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var significand: Int128 = 0
        var exponent = 0
        var digits = 0
        var sawPoint = false
        var sawDigit = false
        while let byte = bytes.first {
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                sawDigit = true
                if significand != 0 || byte != UInt8(ascii: "0") { digits += 1 }
                guard digits <= 36 else { return nil }
                significand = significand * 10 + Int128(byte - UInt8(ascii: "0"))
                if sawPoint { exponent -= 1 }
            } else if byte == UInt8(ascii: "."), !sawPoint, sawDigit {
                sawPoint = true
            } else {
                break
            }
            bytes = bytes.dropFirst()
        }
        guard sawDigit else { return nil }
        if sawPoint, exponent == 0 { return nil }  // "2." has no digit after the point
        if let marker = bytes.first, marker == UInt8(ascii: "e") || marker == UInt8(ascii: "E") {
            guard allowExponent else { return nil }
            bytes = bytes.dropFirst()
            var exponentNegative = false
            if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
                exponentNegative = sign == UInt8(ascii: "-")
                bytes = bytes.dropFirst()
            }
            var value = 0
            var exponentDigits = 0
            while let byte = bytes.first, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                exponentDigits += 1
                guard value <= 400 else { return nil }
                bytes = bytes.dropFirst()
            }
            guard exponentDigits > 0 else { return nil }
            exponent += exponentNegative ? -value : value
        }
        guard bytes.isEmpty else { return nil }
        self.significand = negative ? -significand : significand
        self.exponent = exponent
    }

    /// Creates a number from its parts.
    package init(significand: Int128, exponent: Int) {
        self.significand = significand
        self.exponent = exponent
    }

    /// Whether the value is below zero.
    package var isNegative: Bool { significand < 0 }

    /// The value times `10^decimals` as an integer: the number in units of `10^-decimals`.
    /// Nil when it does not fit an `Int64`, or, with `.exact`, when digits would be lost.
    package func scaled(toDecimals decimals: Int, rounding: Rounding) -> Int64? {
        let shift = exponent + decimals
        var value: Int128
        if shift >= 0 {
            guard shift <= 36 else { return significand == 0 ? 0 : nil }
            let (product, overflow) = significand.multipliedReportingOverflow(by: Exact.powerOfTen(shift))
            guard !overflow else { return nil }
            value = product
        } else {
            guard -shift <= 38 else { return significand == 0 ? 0 : (rounding == .exact ? nil : 0) }
            let divisor = Exact.powerOfTen(-shift)
            if rounding == .exact, significand % divisor != 0 { return nil }
            value = Exact.divideRoundingHalfEven(significand, by: divisor)
        }
        guard value >= Int128(Int64.min), value <= Int128(Int64.max) else { return nil }
        return Int64(value)
    }

    /// The number of digits after the decimal point needed to write the value exactly.
    package var decimalPlaces: Int {
        guard significand != 0 else { return 0 }
        var places = -exponent
        var rest = significand
        while places > 0, rest % 10 == 0 {
            rest /= 10
            places -= 1
        }
        return max(places, 0)
    }
}
