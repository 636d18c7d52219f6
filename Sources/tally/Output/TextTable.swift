/// A table of text cells printed with aligned columns: text left-aligned, numbers right-aligned.
struct TextTable {
    /// How a column's cells line up.
    enum Alignment { case left, right }

    var headers: [String]
    var alignments: [Alignment]
    var rows: [[String]] = []

    init(columns: [(header: String, alignment: Alignment)]) {
        headers = columns.map(\.header)
        alignments = columns.map(\.alignment)
    }

    mutating func append(_ row: [String]) { rows.append(row) }

    /// A rule across every column before the next row (above a total).
    mutating func appendRule() { rows.append([Self.ruleMarker]) }

    private static let ruleMarker = "\u{0}rule"

    /// Characters a terminal shows: ANSI colour sequences take no room.
    static func visibleCount(_ text: String) -> Int {
        var count = 0
        var inEscape = false
        for scalar in text.unicodeScalars {
            if inEscape {
                if scalar == "m" { inEscape = false }
            } else if scalar == "\u{1B}" {
                inEscape = true
            } else {
                count += 1
            }
        }
        return count
    }

    /// The table as lines of text, two spaces between columns, a rule under the header.
    func render() -> String {
        var widths = headers.map(Self.visibleCount)
        for row in rows where row != [Self.ruleMarker] {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], Self.visibleCount(cell))
            }
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        func line(_ cells: [String]) -> String {
            if cells == [Self.ruleMarker] { return rule }
            var parts: [String] = []
            for (index, width) in widths.enumerated() {
                let cell = index < cells.count ? cells[index] : ""
                let padding = String(repeating: " ", count: max(0, width - Self.visibleCount(cell)))
                parts.append(alignments[index] == .right ? padding + cell : cell + padding)
            }
            var text = parts.joined(separator: "  ")
            while text.last == " " { text.removeLast() }
            return text
        }
        var lines = [line(headers), rule]
        lines += rows.map(line)
        return lines.joined(separator: "\n") + "\n"
    }
}
