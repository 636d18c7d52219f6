import Testing
@testable import TallyTokenizer

struct BytePairMergerTests {
    /// Merges `text` as one piece, with the rescanning loop or the heap.
    static func merge(_ text: String, _ name: Encoding.Name, heap: Bool) throws -> [Int] {
        let encoding = try Encoding.named(name)
        var sink = TokenArraySink()
        var merger = BytePairMerger()
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            merger.merge(base, buffer.count, table: encoding.vocabulary.table, into: &sink, heapThreshold: heap ? 0 : Int.max)
        }
        return sink.tokens
    }

    @Test("the heap merge and the rescanning merge give the same tokens")
    func heapMatchesRescan() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("aabbcdeeff  tthh你好😀'.\n0").map(String.init)
        var pieces = ["strawberry", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ababababababababababab", "Supercalifragilistic"]
        for _ in 0..<200 {
            pieces.append((0..<Int.random(in: 2...60, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? "a" }.joined())
        }
        for name in Encoding.Name.allCases {
            for piece in pieces {
                let rescan = try Self.merge(piece, name, heap: false)
                #expect(try Self.merge(piece, name, heap: true) == rescan, "\(piece.debugDescription)")
                #expect(try Encoding.named(name).decode(rescan) == Array(piece.utf8))
            }
        }
    }

    @Test("a 200 kB word without spaces encodes in seconds, not the hours a quadratic merge would take")
    func longPieceIsNotQuadratic() throws {
        let text = String(repeating: "abcdefghij", count: 20_000)
        let clock = ContinuousClock()
        let start = clock.now
        let tokens = try Encoding.named(.o200kBase).encode(text)
        #expect(clock.now - start < .seconds(60))
        #expect(try Encoding.named(.o200kBase).decode(tokens) == Array(text.utf8))
        #expect(tokens.count < text.utf8.count / 2)
    }
}
