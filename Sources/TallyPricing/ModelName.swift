/// Rules for the names providers give their models.
enum ModelName {
    /// The names a dated snapshot may be a version of, most specific first:
    /// "gpt-4.1-2025-04-14" → "gpt-4.1"; "claude-sonnet-4-5-20250929" → "claude-sonnet-4-5";
    /// "claude-3-5-sonnet@20241022" → "claude-3-5-sonnet"; "gpt-4-0613" → "gpt-4".
    static func snapshotBases(of name: String) -> [String] {
        let bytes = Array(name.utf8)
        var bases: [String] = []
        func digits(_ range: Range<Int>) -> Bool {
            range.lowerBound >= 0 && bytes[range].allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        }
        func base(droppingLast count: Int) -> String {
            String(decoding: bytes[..<(bytes.count - count)], as: UTF8.self)
        }
        let n = bytes.count
        // -YYYY-MM-DD
        if n > 11, bytes[n - 11] == UInt8(ascii: "-"), digits(n - 10..<n - 6), bytes[n - 6] == UInt8(ascii: "-"),
           digits(n - 5..<n - 3), bytes[n - 3] == UInt8(ascii: "-"), digits(n - 2..<n) {
            bases.append(base(droppingLast: 11))
        }
        // -YYYYMMDD or @YYYYMMDD
        if n > 9, bytes[n - 9] == UInt8(ascii: "-") || bytes[n - 9] == UInt8(ascii: "@"), digits(n - 8..<n) {
            bases.append(base(droppingLast: 9))
        }
        // -MMDD, last: it is the least specific
        if n > 5, bytes[n - 5] == UInt8(ascii: "-"), digits(n - 4..<n) {
            bases.append(base(droppingLast: 5))
        }
        return bases
    }
}
