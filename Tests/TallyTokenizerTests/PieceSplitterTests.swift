import Testing
@testable import TallyTokenizer

struct PieceSplitterTests {
    /// The pieces of `text` under `pattern`.
    static func pieces(_ text: String, _ pattern: PieceSplitter.Pattern) -> [String] {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return [] }
            let splitter = PieceSplitter(base: base, end: buffer.count, table: ScalarClassTable.shared.flags, pattern: pattern)
            var result: [String] = []
            var i = 0
            while i < buffer.count {
                let end = splitter.pieceEnd(from: i)
                result.append(String(decoding: buffer[i..<end], as: UTF8.self))
                i = end
            }
            return result
        }
    }

    // Expected pieces: Python's `regex.findall` with the pat_str of tiktoken 0.14.
    @Test("cl100k_base splits text as its pattern does", arguments: [
        ("I'LL see We'Ve THEY'RE", ["I", "'LL", " see", " We", "'Ve", " THEY", "'RE"]),
        ("HELLOworld ǅungla ABCʰ", ["HELLOworld", " ǅungla", " ABCʰ"]),
        ("x  \n  ", ["x", "  \n  "]),
        ("  hello\t\tworld\n\n  ", [" ", " hello", "\t", "\tworld", "\n\n  "]),
        ("// a/b//\n/c", ["//", " a", "/b", "//\n", "/c"]),
        ("12345 ١٢٣٤", ["123", "45", " ", "١٢٣", "٤"]),
        ("😀👍🏽 \u{301}abc", ["😀👍🏽", " \u{301}", "abc"]),
    ])
    func cl100kPieces(text: String, expected: [String]) {
        #expect(Self.pieces(text, .cl100k) == expected)
    }

    @Test("o200k_base splits text as its pattern does", arguments: [
        ("I'LL see We'Ve THEY'RE", ["I'LL", " see", " We'Ve", " THEY'RE"]),
        ("HELLOworld ǅungla ABCʰ", ["HELLOworld", " ǅungla", " ABCʰ"]),
        ("x  \n  ", ["x", "  \n", "  "]),
        ("  hello\t\tworld\n\n  ", [" ", " hello", "\t", "\tworld", "\n\n", "  "]),
        ("// a/b//\n/c", ["//", " a", "/b", "//\n/", "c"]),
        ("12345 ١٢٣٤", ["123", "45", " ", "١٢٣", "٤"]),
        ("😀👍🏽 \u{301}abc", ["😀👍🏽", " \u{301}abc"]),
    ])
    func o200kPieces(text: String, expected: [String]) {
        #expect(Self.pieces(text, .o200k) == expected)
    }

    @Test("scalars Unicode 17 added are unassigned to the splitter, as to tiktoken's regex")
    func newerScalarsAreUnassigned() {
        // U+A7CE is an uppercase letter since Unicode 17; tiktoken splits it off as punctuation.
        #expect(ScalarClass.of(0xA7CE) == [])
        #expect(ScalarClass.of(0x0041) == [.letter, .upperish])
        #expect(ScalarClass.of(0x3000) == [.space])
    }
}
