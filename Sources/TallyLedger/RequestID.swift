/// New request ids: random (version 4) UUIDs in the upper-case text form `UUID().uuidString`
/// gives.
///
/// Foundation's `UUID()` on Linux reads /dev/urandom for each one, about 10 µs: a tenth of the
/// time a request may add before it leaves. This draws the same 122 random bits from the
/// system's generator (`getrandom`).
package enum RequestID {
    /// A new random id such as `"9F1C7A2E-3B4D-4C5E-8F60-718293A4B5C6"`.
    package static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        var high: UInt64 = generator.next()
        var low: UInt64 = generator.next()
        high = (high & ~0xF000) | 0x4000  // version 4: the top nibble of byte 6
        low = (low & ~(0xC0 << 56)) | (0x80 << 56)  // RFC 4122 variant: the top bits of byte 8
        let digits: [UInt8] = Array("0123456789ABCDEF".utf8)
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (index, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
            if index == 8 || index == 12 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int((high >> UInt64(shift)) & 0xF)])
        }
        for (index, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
            if index == 0 || index == 4 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int((low >> UInt64(shift)) & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
