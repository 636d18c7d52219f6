/// A tiktoken-compatible byte-pair encoding (o200k_base or cl100k_base): the same token ids as
/// tiktoken for the same text. Loading is done once per process; copies share the tables.
public struct Encoding: Sendable {
    /// The encodings Tally ships, by tiktoken's names.
    public enum Name: String, Sendable, CaseIterable, Hashable, Codable {
        /// GPT-4o, GPT-4.1, GPT-5 and the o-series.
        case o200kBase = "o200k_base"
        /// GPT-4, GPT-3.5 and the text-embedding-3 / ada-002 embeddings.
        case cl100kBase = "cl100k_base"
    }

    /// Which special tokens (`<|endoftext|>`, …) in a text are encoded as special tokens.
    public struct SpecialTokens: Sendable, Hashable {
        let texts: Set<String>?
        /// None: special-token text is encoded as ordinary text (`<|`, `endoftext`, `|>`).
        public static let none = SpecialTokens(texts: [])
        /// Every special token of the encoding.
        public static let all = SpecialTokens(texts: nil)
        /// Only these (by their text, e.g. `"<|endoftext|>"`).
        public static func only(_ texts: Set<String>) -> SpecialTokens { SpecialTokens(texts: texts) }
    }

    let vocabulary: Vocabulary
    let pattern: PieceSplitter.Pattern

    /// This encoding's name.
    public var name: Name { vocabulary.name }

    /// The special tokens of this encoding, by text.
    public var specialTokens: [String: Int] {
        Dictionary(uniqueKeysWithValues: vocabulary.specialTokens.map { (String(decoding: $0.text, as: UTF8.self), $0.id) })
    }

    /// The number of ordinary (mergeable) tokens.
    public var ordinaryTokenCount: Int { vocabulary.table.count }

    private static let o200k = Result { () throws(TokenizerError) in try Vocabulary(.o200kBase) }
    private static let cl100k = Result { () throws(TokenizerError) in try Vocabulary(.cl100kBase) }

    /// The encoding called `name`, loaded from the embedded vocabulary on first use (its SHA-256 is
    /// checked then) and shared afterwards.
    public static func named(_ name: Name) throws(TokenizerError) -> Encoding {
        let vocabulary: Vocabulary
        switch name {
        case .o200kBase: vocabulary = try o200k.get()
        case .cl100kBase: vocabulary = try cl100k.get()
        }
        return Encoding(vocabulary: vocabulary)
    }

    /// Loads a fresh, unshared copy of an encoding: for measuring load time and memory.
    package static func loadUncached(_ name: Name) throws(TokenizerError) -> Encoding {
        Encoding(vocabulary: try Vocabulary(name))
    }

    init(vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        pattern = vocabulary.name == .o200kBase ? .o200k : .cl100k
    }

    // MARK: Encoding

    /// The token ids of `text`. Special-token text not in `allowedSpecial` is encoded as ordinary
    /// text (tiktoken raises instead; `encodeChecked` does that).
    public func encode(_ text: String, allowedSpecial: SpecialTokens = .none) -> [Int] {
        var sink = TokenArraySink()
        sink.tokens.reserveCapacity(text.utf8.count / 4 + 4)
        run(text, allowedSpecial: allowedSpecial, into: &sink)
        return sink.tokens
    }

    /// The token ids of `text`, or an error when it contains a special token not in
    /// `allowedSpecial`: tiktoken's default behaviour.
    public func encodeChecked(_ text: String, allowedSpecial: SpecialTokens = .none) throws(TokenizerError) -> [Int] {
        try checkSpecialTokens(in: text, allowed: allowedSpecial)
        return encode(text, allowedSpecial: allowedSpecial)
    }

    /// The token ids of UTF-8 bytes; invalid sequences become U+FFFD first, as when Python
    /// decodes with `errors="replace"` before calling tiktoken.
    public func encode(utf8 bytes: some Collection<UInt8>, allowedSpecial: SpecialTokens = .none) -> [Int] {
        encode(String(decoding: bytes, as: UTF8.self), allowedSpecial: allowedSpecial)
    }

    /// The number of tokens of `text` (as `encode(text).count`, without building the array).
    public func count(_ text: String, allowedSpecial: SpecialTokens = .none) -> Int {
        var sink = TokenCountSink()
        run(text, allowedSpecial: allowedSpecial, into: &sink)
        return sink.count
    }

    /// The number of tokens of UTF-8 bytes, invalid sequences replaced by U+FFFD.
    public func count(utf8 bytes: some Collection<UInt8>, allowedSpecial: SpecialTokens = .none) -> Int {
        count(String(decoding: bytes, as: UTF8.self), allowedSpecial: allowedSpecial)
    }

    /// Throws when `text` contains a special token that `allowed` does not allow.
    public func checkSpecialTokens(in text: String, allowed: SpecialTokens) throws(TokenizerError) {
        let disallowed = vocabulary.specialTokens.filter { special in
            !(allowed.texts.map { $0.contains(String(decoding: special.text, as: UTF8.self)) } ?? true)
        }
        guard !disallowed.isEmpty else { return }
        var text = text
        let found: (String, Int)? = text.withUTF8 { buffer in
            guard let base = buffer.baseAddress else { return nil }
            var i = 0
            while i < buffer.count {
                if base[i] == 0x3C, let special = Self.special(at: i, base, buffer.count, among: disallowed) {
                    return (String(decoding: special.text, as: UTF8.self), i)
                }
                i += 1
            }
            return nil
        }
        if let (special, offset) = found {
            throw TokenizerError(.disallowedSpecialToken, "\(special) at byte \(offset) is a special token of \(name.rawValue); allow it or encode it as text")
        }
    }

    @inline(__always)
    private static func special(
        at i: Int, _ base: UnsafePointer<UInt8>, _ count: Int, among specials: [(text: [UInt8], id: Int)]
    ) -> (text: [UInt8], id: Int)? {
        for special in specials where special.text.count <= count - i {
            var matches = true
            for (k, byte) in special.text.enumerated() where base[i + k] != byte {
                matches = false
                break
            }
            if matches { return special }
        }
        return nil
    }

    func run<Sink: TokenSink>(_ text: String, allowedSpecial: SpecialTokens, into sink: inout Sink) {
        let allowed = allowedSpecial.texts?.isEmpty == true ? [] : vocabulary.specialTokens.filter { special in
            allowedSpecial.texts.map { $0.contains(String(decoding: special.text, as: UTF8.self)) } ?? true
        }
        var text = text
        text.withUTF8 { buffer in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
            var merger = BytePairMerger()
            if allowed.isEmpty {
                encodeOrdinary(base, 0, buffer.count, merger: &merger, into: &sink)
                return
            }
            var segmentStart = 0
            var i = 0
            while i < buffer.count {
                if base[i] == 0x3C, let special = Self.special(at: i, base, buffer.count, among: allowed) {
                    encodeOrdinary(base, segmentStart, i, merger: &merger, into: &sink)
                    sink.append(UInt32(special.id))
                    i += special.text.count
                    segmentStart = i
                } else {
                    i += 1
                }
            }
            encodeOrdinary(base, segmentStart, buffer.count, merger: &merger, into: &sink)
        }
    }

    /// Splits `base[start..<end]` into pieces and encodes each: one lookup when the whole piece is
    /// a token, byte-pair merges otherwise.
    @inline(__always)
    private func encodeOrdinary<Sink: TokenSink>(
        _ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, merger: inout BytePairMerger, into sink: inout Sink
    ) {
        guard start < end else { return }
        let segment = base + start
        let splitter = PieceSplitter(base: segment, end: end - start, table: ScalarClassTable.shared.flags, pattern: pattern)
        let table = vocabulary.table
        var i = 0
        let length = end - start
        while i < length {
            let pieceEnd = splitter.pieceEnd(from: i)
            let rank: UInt32
            switch pieceEnd - i {
            case 1: rank = table.byteRanks[Int(segment[i])]
            case 2: rank = table.pairRanks[Int(segment[i]) << 8 | Int(segment[i + 1])]
            default: rank = table.rank(of: segment + i, pieceEnd - i)
            }
            if rank != .max {
                sink.append(rank)
            } else {
                merger.merge(segment + i, pieceEnd - i, table: table, into: &sink)
            }
            i = pieceEnd
        }
    }

    // MARK: Decoding

    /// The bytes of `tokens`; throws on an id that is not in this encoding.
    public func decode(_ tokens: [Int]) throws(TokenizerError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(tokens.count * 4)
        for (index, token) in tokens.enumerated() {
            if let ordinary = vocabulary.bytes(ofRank: token) {
                bytes.append(contentsOf: ordinary)
            } else if let special = vocabulary.specialTokens.first(where: { $0.id == token }) {
                bytes.append(contentsOf: special.text)
            } else {
                throw TokenizerError(.unknownToken, "token \(token) at index \(index) is not in \(name.rawValue)")
            }
        }
        return bytes
    }

    /// The text of `tokens`, invalid UTF-8 (a token boundary inside a character) replaced by U+FFFD.
    public func decodeLossy(_ tokens: [Int]) throws(TokenizerError) -> String {
        String(decoding: try decode(tokens), as: UTF8.self)
    }
}
