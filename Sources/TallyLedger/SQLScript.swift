/// A migration file cut into its statements: PostgreSQL's extended query protocol, which
/// postgres-nio speaks, runs one statement per query, where SQLite runs a whole script.
///
/// A `;` ends a statement except inside a string (`'…'`, with `''` for a quote), a quoted name
/// (`"…"`), a dollar-quoted body (`$$…$$`, `$tag$…$tag$`), or a comment (`-- …`, `/* … */`, nested
/// as PostgreSQL nests them). Comment-only pieces are dropped.
enum SQLScript {
    static func statements(_ sql: String) -> [String] {
        let bytes = Array(sql.utf8)
        var statements: [String] = []
        var start = 0
        var hasCode = false
        var index = 0

        func finish(_ end: Int) {
            if hasCode {
                let text = String(decoding: bytes[start..<end], as: UTF8.self)
                statements.append(text.trimmingWhitespace())
            }
            start = end + 1
            hasCode = false
        }

        while index < bytes.count {
            let byte = bytes[index]
            let next = index + 1 < bytes.count ? bytes[index + 1] : 0
            switch byte {
            case UInt8(ascii: "-") where next == UInt8(ascii: "-"):
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "/") where next == UInt8(ascii: "*"):
                var depth = 1
                index += 2
                while index < bytes.count, depth > 0 {
                    if bytes[index] == UInt8(ascii: "/"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "*") {
                        depth += 1
                        index += 2
                    } else if bytes[index] == UInt8(ascii: "*"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "/") {
                        depth -= 1
                        index += 2
                    } else {
                        index += 1
                    }
                }
                continue
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                hasCode = true
                index += 1
                while index < bytes.count {
                    if bytes[index] == byte {
                        // A doubled quote is a quote inside the string.
                        if index + 1 < bytes.count, bytes[index + 1] == byte { index += 2; continue }
                        break
                    }
                    index += 1
                }
            case UInt8(ascii: "$"):
                hasCode = true
                if let tagEnd = dollarTagEnd(bytes, from: index) {
                    let tag = bytes[index...tagEnd]
                    var search = tagEnd + 1
                    var closed = false
                    while search + tag.count <= bytes.count {
                        if bytes[search] == UInt8(ascii: "$"), bytes[search..<(search + tag.count)].elementsEqual(tag) {
                            index = search + tag.count - 1
                            closed = true
                            break
                        }
                        search += 1
                    }
                    if !closed { index = bytes.count - 1 }
                }
            case UInt8(ascii: ";"):
                finish(index)
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                break
            default:
                hasCode = true
            }
            index += 1
        }
        finish(bytes.count)
        return statements.filter { !$0.isEmpty }
    }

    /// The index of the `$` closing a dollar-quote tag opened at `start` (`$$` or `$name$`), or
    /// `nil` when the `$` there opens no tag (a parameter like `$1`).
    private static func dollarTagEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start + 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "$") { return index }
            let isLetter = (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") || byte == UInt8(ascii: "_")
            let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            guard isLetter || (isDigit && index > start + 1) else { return nil }
            index += 1
        }
        return nil
    }
}

extension String {
    /// The text without leading and trailing spaces, tabs and line breaks.
    fileprivate func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
