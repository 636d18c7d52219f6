/// Tally's one JSON reader: a strict RFC 8259 pull reader over bytes.
///
/// It validates the grammar of everything it passes over (nesting at most ``maxDepth`` deep),
/// skips what the caller does not ask for without building values, and decodes strings with
/// every escape, `\u` surrogate pairs included (a lone surrogate, which the grammar allows,
/// becomes U+FFFD). It allocates only for strings it returns. The stream decoders pull exactly
/// the fields they need; ``parse(_:)`` builds a whole ``JSONValue`` document on the same scanner.
/// Usage:
///
/// ```swift
/// var reader = JSONReader(bytes)
/// var object = try reader.beginObject()
/// while let key = try reader.nextKey(&object) {
///     if key == "model" { model = try reader.readString() } else { try reader.skipValue() }
/// }
/// try reader.end()
/// ```
@frozen
package struct JSONReader {
    /// Progress through one object or array.
    @frozen
    package struct Container {
        @usableFromInline var first = true

        @inlinable init() {}
    }

    /// The deepest nesting accepted; deeper input is refused rather than risking the stack.
    package static let maxDepth = 256

    @usableFromInline let bytes: UnsafeRawBufferPointer
    /// The offset of the next byte to read.
    @usableFromInline var position: Int
    @usableFromInline var depth = 0

    /// A reader over `bytes`, which must stay valid while the reader is used.
    @inlinable
    package init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        self.position = 0
    }

    // MARK: - Structure

    /// Consumes `{` and returns the state for ``nextKey(_:)``.
    @inlinable
    package mutating func beginObject() throws(JSONSyntaxError) -> Container {
        skipWhitespace()
        try expect(UInt8(ascii: "{"), "expected an object")
        try enter()
        return Container()
    }

    /// The next key of the object, its `:` consumed; nil once the closing `}` is consumed.
    @inlinable
    package mutating func nextKey(_ object: inout Container) throws(JSONSyntaxError) -> JSONKey? {
        skipWhitespace()
        guard position < bytes.count else { throw failure("unterminated object") }
        let byte = bytes[position]
        if byte == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return nil
        }
        if object.first {
            object.first = false
        } else {
            guard byte == UInt8(ascii: ",") else { throw failure("expected ',' or '}' in an object") }
            position += 1
            skipWhitespace()
        }
        let key = try readKey()
        skipWhitespace()
        try expect(UInt8(ascii: ":"), "expected ':' after an object key")
        return key
    }

    /// Consumes `[` and returns the state for ``nextElement(_:)``.
    @inlinable
    package mutating func beginArray() throws(JSONSyntaxError) -> Container {
        skipWhitespace()
        try expect(UInt8(ascii: "["), "expected an array")
        try enter()
        return Container()
    }

    /// Whether another element follows (positioned at it); false once the closing `]` is consumed.
    @inlinable
    package mutating func nextElement(_ array: inout Container) throws(JSONSyntaxError) -> Bool {
        skipWhitespace()
        guard position < bytes.count else { throw failure("unterminated array") }
        let byte = bytes[position]
        if byte == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return false
        }
        if array.first {
            array.first = false
        } else {
            guard byte == UInt8(ascii: ",") else { throw failure("expected ',' or ']' in an array") }
            position += 1
        }
        return true
    }

    /// Checks that only whitespace follows the top-level value.
    @inlinable
    package mutating func end() throws(JSONSyntaxError) {
        skipWhitespace()
        guard position == bytes.count else { throw failure("unexpected bytes after the JSON value") }
    }

    /// The kind of the next value, without consuming it; nil at the end of input.
    @inlinable
    package mutating func peekKind() -> Kind? {
        skipWhitespace()
        guard position < bytes.count else { return nil }
        switch bytes[position] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        default: return .number
        }
    }

    /// The kinds of JSON value, as ``peekKind()`` sees them.
    package enum Kind { case object, array, string, number, bool, null }

    // MARK: - Values

    /// Skips one value of any kind, validating it.
    @inlinable
    package mutating func skipValue() throws(JSONSyntaxError) {
        skipWhitespace()
        guard position < bytes.count else { throw failure("expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            var object = try beginObject()
            while try nextKey(&object) != nil { try skipValue() }
        case UInt8(ascii: "["):
            var array = try beginArray()
            while try nextElement(&array) { try skipValue() }
        case UInt8(ascii: "\""):
            _ = try scanString()
        case UInt8(ascii: "t"):
            try literal("true")
        case UInt8(ascii: "f"):
            try literal("false")
        case UInt8(ascii: "n"):
            try literal("null")
        default:
            _ = try scanNumber()
        }
    }

    /// The bytes of one value of any kind, as written (validated, not decoded).
    @inlinable
    package mutating func readRawValue() throws(JSONSyntaxError) -> [UInt8] {
        skipWhitespace()
        let start = position
        try skipValue()
        return Array(bytes[start..<position])
    }

    /// A string value; nil for `null` or a value of another kind (which is skipped).
    @inlinable
    package mutating func readString() throws(JSONSyntaxError) -> String? {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
            try skipValue()
            return nil
        }
        let span = try scanString()
        return string(of: span)
    }

    /// A string value as a name to compare with literals, without allocating; nil for `null` or
    /// a value of another kind (which is skipped). Valid while the reader's bytes are.
    @inlinable
    package mutating func readName() throws(JSONSyntaxError) -> JSONKey? {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
            try skipValue()
            return nil
        }
        return try readKey()
    }

    /// A string or number value as text (error codes come as either); nil for anything else.
    @inlinable
    package mutating func readText() throws(JSONSyntaxError) -> String? {
        switch peekKind() {
        case .string:
            return try readString()
        case .number:
            let start = position
            _ = try scanNumber()
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        default:
            try skipValue()
            return nil
        }
    }

    /// A number value exactly as written ("2e-06", "0.50"); nil for a value of another kind
    /// (which is skipped).
    @inlinable
    package mutating func readNumberText() throws(JSONSyntaxError) -> String? {
        guard peekKind() == .number else {
            try skipValue()
            return nil
        }
        let start = position
        _ = try scanNumber()
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    /// A string value whose bytes must be valid UTF-8, as a document's are: for ``parse(_:)``,
    /// where a price table or configuration with broken text is refused, not repaired.
    /// Nil for a value of another kind (which is skipped).
    mutating func readValidatedString() throws(JSONSyntaxError) -> String? {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
            try skipValue()
            return nil
        }
        let quote = position
        let span = try scanString()
        let raw = UnsafeRawBufferPointer(rebasing: bytes[span.start..<span.end])
        let text = span.escaped ? String(validating: Self.unescape(raw), as: UTF8.self) : String(validating: raw, as: UTF8.self)
        guard let text else {
            position = quote
            throw failure("invalid UTF-8 in a string")
        }
        return text
    }

    /// An integer value; nil for `null`, another kind, a fraction, or a number outside Int64.
    @inlinable
    package mutating func readInteger() throws(JSONSyntaxError) -> Int64? {
        switch peekKind() {
        case .number: return try scanNumber()
        default:
            try skipValue()
            return nil
        }
    }

    // MARK: - Scanning

    @inlinable @inline(__always)
    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    @inlinable @inline(__always)
    mutating func expect(_ byte: UInt8, _ message: String) throws(JSONSyntaxError) {
        guard position < bytes.count, bytes[position] == byte else { throw failure(message) }
        position += 1
    }

    @inlinable
    mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maxDepth { throw failure("nesting deeper than \(Self.maxDepth)") }
    }

    @usableFromInline
    func failure(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(message, at: position, in: bytes)
    }

    @inlinable
    mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count, let base = bytes.baseAddress,
              ByteSearch.equal(base + position, word.utf8Start, count: count)
        else { throw failure("invalid literal") }
        position += count
    }

    /// A scanned string: where its content lies and whether it holds escapes.
    @frozen @usableFromInline
    struct StringSpan {
        @usableFromInline var start: Int
        @usableFromInline var end: Int
        @usableFromInline var escaped: Bool

        @inlinable init(start: Int, end: Int, escaped: Bool) {
            self.start = start
            self.end = end
            self.escaped = escaped
        }
    }

    /// Scans a string starting at its opening quote, validating escapes and control characters.
    @inlinable
    mutating func scanString() throws(JSONSyntaxError) -> StringSpan {
        position += 1
        let start = position
        var escaped = false
        while position < bytes.count {
            skipPlainStringBytes()
            guard position < bytes.count else { break }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let span = StringSpan(start: start, end: position, escaped: escaped)
                position += 1
                return span
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                position += 1
                guard position < bytes.count else { break }
                switch bytes[position] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    position += 1
                case UInt8(ascii: "u"):
                    guard bytes.count - position > 4 else { throw failure("unterminated string") }
                    for offset in 1...4 where Self.hexValue(bytes[position + offset]) == nil {
                        position += offset
                        throw failure("invalid \\u escape")
                    }
                    position += 5
                default:
                    throw failure("invalid escape")
                }
                continue
            }
            if byte < 0x20 { throw failure("control character in a string") }
            position += 1
        }
        throw failure("unterminated string")
    }

    /// Advances over string content that holds no quote, backslash or control character,
    /// eight bytes at a time, stopping at the first byte that needs a look.
    @inlinable @inline(__always)
    mutating func skipPlainStringBytes() {
        #if _endian(little)
        guard let base = bytes.baseAddress else { return }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while bytes.count - position >= 8 {
            let word = base.loadUnaligned(fromByteOffset: position, as: UInt64.self)
            // A byte of the word flags when it is '"', '\\' or below 0x20; the lowest flag is exact.
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let flags = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash | (word &- ones &* 0x20) & ~word) & highs
            if flags != 0 {
                position += flags.trailingZeroBitCount / 8
                return
            }
            position += 8
        }
        #endif
    }

    /// Decodes a scanned string; the scan has validated its escapes already.
    @inlinable
    func string(of span: StringSpan) -> String {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[span.start..<span.end])
        guard span.escaped else { return String(decoding: raw, as: UTF8.self) }
        return String(decoding: Self.unescape(raw), as: UTF8.self)
    }

    /// The UTF-8 bytes of validated string content with its escapes resolved.
    @usableFromInline
    static func unescape(_ raw: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var index = 0
        var pendingHigh: UInt32?
        func flushHigh() {
            if pendingHigh != nil { appendScalar(0xFFFD, to: &out) }
            pendingHigh = nil
        }
        while index < raw.count {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < raw.count else {
                flushHigh()
                out.append(byte)
                index += 1
                continue
            }
            let kind = raw[index + 1]
            index += 2
            if kind == UInt8(ascii: "u"), index + 4 <= raw.count {
                var unit: UInt32 = 0
                for offset in 0..<4 { unit = unit << 4 | UInt32(hexValue(raw[index + offset]) ?? 0) }
                index += 4
                switch unit {
                case 0xD800...0xDBFF:
                    flushHigh()
                    pendingHigh = unit
                case 0xDC00...0xDFFF:
                    if let high = pendingHigh {
                        appendScalar(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00), to: &out)
                        pendingHigh = nil
                    } else {
                        appendScalar(0xFFFD, to: &out)
                    }
                default:
                    flushHigh()
                    appendScalar(unit, to: &out)
                }
                continue
            }
            flushHigh()
            switch kind {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            default: out.append(kind)
            }
        }
        flushHigh()
        return out
    }

    private static func appendScalar(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    @inlinable @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Scans a number by the JSON grammar; returns its value when it is an integer within Int64
    /// (a zero fraction such as `12.0` counts as an integer), else nil.
    @inlinable
    mutating func scanNumber() throws(JSONSyntaxError) -> Int64? {
        var negative = false
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        guard position < bytes.count, Self.isDigit(bytes[position]) else {
            guard !negative, position < bytes.count else { throw failure("invalid number") }
            throw failure("unexpected character \(Self.describe(bytes[position]))")
        }
        var value: Int64? = 0
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while position < bytes.count, Self.isDigit(bytes[position]) {
                let digit = Int64(bytes[position] - UInt8(ascii: "0"))
                if let current = value {
                    let (times10, overflow1) = current.multipliedReportingOverflow(by: 10)
                    let (next, overflow2) = negative
                        ? times10.subtractingReportingOverflow(digit)
                        : times10.addingReportingOverflow(digit)
                    value = overflow1 || overflow2 ? nil : next
                }
                position += 1
            }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, Self.isDigit(bytes[position]) else { throw failure("invalid number") }
            while position < bytes.count, Self.isDigit(bytes[position]) {
                if bytes[position] != UInt8(ascii: "0") { value = nil }
                position += 1
            }
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, Self.isDigit(bytes[position]) else { throw failure("invalid number") }
            while position < bytes.count, Self.isDigit(bytes[position]) { position += 1 }
            value = nil
        }
        return value
    }

    /// A byte for an error message: `'x'` when printable, else its hex value.
    @usableFromInline
    static func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(String(UnicodeScalar(byte)))'" : "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    @inlinable @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    /// Reads an object key at its opening quote.
    @inlinable
    mutating func readKey() throws(JSONSyntaxError) -> JSONKey {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
            throw failure("expected a string key")
        }
        let span = try scanString()
        let raw = UnsafeRawBufferPointer(rebasing: bytes[span.start..<span.end])
        return span.escaped ? JSONKey(decoded: Self.unescape(raw)) : JSONKey(raw: raw)
    }
}

/// An object key as read from the input, compared against literal names without allocating.
@frozen
package struct JSONKey {
    @usableFromInline let raw: UnsafeRawBufferPointer
    @usableFromInline let decoded: [UInt8]?

    @inlinable
    init(raw: UnsafeRawBufferPointer) {
        self.raw = raw
        self.decoded = nil
    }

    @inlinable
    init(decoded: [UInt8]) {
        self.raw = UnsafeRawBufferPointer(start: nil, count: 0)
        self.decoded = decoded
    }

    @inlinable @inline(__always)
    package static func == (key: JSONKey, name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        if let decoded = key.decoded {
            return decoded.count == count && decoded.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress else { return count == 0 }
                return ByteSearch.equal(base, name.utf8Start, count: count)
            }
        }
        guard key.raw.count == count else { return false }
        guard let base = key.raw.baseAddress else { return count == 0 }
        return ByteSearch.equal(base, name.utf8Start, count: count)
    }
}
