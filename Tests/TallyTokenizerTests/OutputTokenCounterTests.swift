import Testing
import TallyTokenizer

struct OutputTokenCounterTests {
    @Test("deltas split inside words and UTF-8 sequences count like the whole text, as an estimate")
    func deltasCountLikeWholeText() throws {
        let text = "Xin chào! Tiếng Việt 👩‍💻 don't stop, 12345 tokens…"
        let model = try Encoding.forModel("gpt-4o")
        var counter = OutputTokenCounter(model: model)
        let bytes = Array(text.utf8)
        var start = 0
        for size in [1, 2, 3, 5, 7, 11].cycled(until: bytes.count) {
            let end = min(start + size, bytes.count)
            counter.append(utf8: bytes[start..<end])
            start = end
            if start == bytes.count { break }
        }
        #expect(counter.byteCount == bytes.count)
        let count = counter.count
        #expect(count.tokens == model.encoding.count(text))
        #expect(!count.isExact && count.method.contains("re-tokenized"))
    }
}

extension Array {
    /// The elements repeated until at least `total` have been produced.
    func cycled(until total: Int) -> [Element] {
        guard !isEmpty else { return [] }
        var result: [Element] = []
        while result.count < total { result += self }
        return result
    }
}
