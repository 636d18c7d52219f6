import Foundation
import Testing
import TallyTokenizer

struct EncodingTests {
    static let fixtures = Result { try Fixtures.load() }

    @Test("every corpus file encodes to the ids tiktoken gives", arguments: Encoding.Name.allCases)
    func corpusMatchesTiktoken(name: Encoding.Name) throws {
        let encoding = try Encoding.named(name)
        let fixtures = try Self.fixtures.get()
        #expect(fixtures.files.count >= 6)
        for (file, expected) in fixtures.files.sorted(by: { $0.key < $1.key }) {
            let ids = encoding.encode(try Fixtures.text(of: file))
            #expect(ids == expected[name], "\(file) differs from tiktoken")
        }
    }

    @Test("edge cases and generated strings encode to the ids tiktoken gives", arguments: Encoding.Name.allCases)
    func casesMatchTiktoken(name: Encoding.Name) throws {
        let encoding = try Encoding.named(name)
        let fixtures = try Self.fixtures.get()
        #expect(fixtures.cases.count > 600)
        var failures = 0
        for item in fixtures.cases {
            let ids = encoding.encode(item.text, allowedSpecial: item.special ? .all : .none)
            if ids != item.expected[name] {
                failures += 1
                if failures <= 10 {
                    Issue.record("\(name.rawValue) \(item.text.debugDescription) special=\(item.special): \(ids) != \(item.expected[name] ?? [])")
                }
            }
        }
        #expect(failures == 0)
    }

    @Test("invalid UTF-8 bytes are replaced by U+FFFD as Python's errors=\"replace\" does")
    func invalidBytesAreReplaced() throws {
        let bytes = try Data(contentsOf: Fixtures.corpusDirectory.appendingPathComponent("invalid-utf8.bin"))
        let fixtures = try Self.fixtures.get()
        for name in Encoding.Name.allCases {
            let encoding = try Encoding.named(name)
            #expect(encoding.encode(utf8: bytes) == fixtures.files["invalid-utf8.bin"]?[name])
            #expect(encoding.count(utf8: bytes) == fixtures.files["invalid-utf8.bin"]?[name]?.count)
        }
    }

    @Test("decoding the tokens of a text gives the text back", arguments: Encoding.Name.allCases)
    func roundTrip(name: Encoding.Name) throws {
        let encoding = try Encoding.named(name)
        let fixtures = try Self.fixtures.get()
        var texts = try fixtures.files.keys.sorted().map { try Fixtures.text(of: $0) }
        texts += fixtures.cases.map(\.text)
        for text in texts {
            #expect(try encoding.decodeLossy(encoding.encode(text)) == text)
            #expect(try encoding.decode(encoding.encode(text, allowedSpecial: .all)) == Array(text.utf8))
        }
    }

    @Test("count equals the number of encoded tokens")
    func countMatchesEncode() throws {
        for name in Encoding.Name.allCases {
            let encoding = try Encoding.named(name)
            let text = try Fixtures.text(of: "english.txt") + "<|endoftext|>"
            #expect(encoding.count(text) == encoding.encode(text).count)
            #expect(encoding.count(text, allowedSpecial: .all) == encoding.encode(text, allowedSpecial: .all).count)
        }
    }

    @Test("special tokens are encoded only when allowed")
    func specialTokensOnlyWhenAllowed() throws {
        let encoding = try Encoding.named(.o200kBase)
        let text = "a<|endoftext|>b<|endofprompt|>"
        #expect(encoding.encode(text, allowedSpecial: .all).contains(199_999))
        #expect(encoding.encode(text, allowedSpecial: .all).contains(200_018))
        #expect(!encoding.encode(text).contains(199_999))
        let only = encoding.encode(text, allowedSpecial: .only(["<|endofprompt|>"]))
        #expect(only.contains(200_018) && !only.contains(199_999))
        #expect(encoding.specialTokens["<|endoftext|>"] == 199_999)
        #expect(try Encoding.named(.cl100kBase).specialTokens["<|fim_prefix|>"] == 100_258)
    }

    @Test("encodeChecked rejects a special token that is not allowed, naming it and its offset")
    func checkedEncodingRejectsSpecialTokens() throws {
        let encoding = try Encoding.named(.cl100kBase)
        #expect(throws: TokenizerError.self) { try encoding.encodeChecked("hi <|endoftext|>") }
        do {
            _ = try encoding.encodeChecked("hi <|fim_middle|>", allowedSpecial: .only(["<|endoftext|>"]))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .disallowedSpecialToken)
            #expect(error.message.contains("<|fim_middle|>") && error.message.contains("byte 3"))
        }
        #expect(try encoding.encodeChecked("hi <|endoftext|>", allowedSpecial: .all) == encoding.encode("hi <|endoftext|>", allowedSpecial: .all))
    }

    @Test("decoding an id outside the encoding is a typed error")
    func decodingUnknownTokenThrows() throws {
        let encoding = try Encoding.named(.cl100kBase)
        #expect(throws: TokenizerError.self) { try encoding.decode([15339, 100_300]) }
        #expect(throws: TokenizerError.self) { try encoding.decode([-1]) }
        #expect(try encoding.decodeLossy([15339, 1917]) == "hello world")
    }

    @Test("both encodings load with the vocabulary sizes tiktoken has")
    func vocabularySizes() throws {
        #expect(try Encoding.named(.o200kBase).ordinaryTokenCount == 199_998)
        #expect(try Encoding.named(.cl100kBase).ordinaryTokenCount == 100_256)
    }

    @Test("one encoding used from many tasks at once gives the same ids as from one")
    func concurrentUse() async throws {
        let encoding = try Encoding.named(.o200kBase)
        let text = try Fixtures.text(of: "vietnamese-chinese.txt") + String(repeating: "word", count: 100)
        let expected = encoding.encode(text)
        let results = await withTaskGroup(of: [Int].self) { group in
            for _ in 0..<16 {
                group.addTask { encoding.encode(text) }
            }
            var all: [[Int]] = []
            for await ids in group { all.append(ids) }
            return all
        }
        #expect(results.count == 16)
        #expect(results.allSatisfy { $0 == expected })
    }
}
