internal import CTallyVocab

/// One encoding's mergeable ranks (from the embedded `.tallyvocab` file) and special tokens.
final class Vocabulary: Sendable {
    let name: Encoding.Name
    let table: RankTable
    /// Special tokens by text, with their ids.
    let specialTokens: [(text: [UInt8], id: Int)]

    /// SHA-256 of each file Scripts/convert-vocab writes (it prints them).
    static func expectedSHA256(_ name: Encoding.Name) -> String {
        switch name {
        case .cl100kBase: "dec65ffe1a86b7d351e2ad991a10db5d995a4577910225d88b95d1c13ec025b8"
        case .o200kBase: "a3ca860bba82acf27fd3a203c1ee81aa0de0e59840cb93be9038a1f83f608f00"
        }
    }

    /// The special tokens tiktoken defines for each encoding.
    static func specialTokens(_ name: Encoding.Name) -> [(String, Int)] {
        switch name {
        case .cl100kBase:
            [("<|endoftext|>", 100257), ("<|fim_prefix|>", 100258), ("<|fim_middle|>", 100259),
             ("<|fim_suffix|>", 100260), ("<|endofprompt|>", 100276)]
        case .o200kBase:
            [("<|endoftext|>", 199999), ("<|endofprompt|>", 200018)]
        }
    }

    /// The embedded file of an encoding.
    static func embeddedFile(_ name: Encoding.Name) -> UnsafeBufferPointer<UInt8> {
        var count = 0
        let start: UnsafePointer<UInt8>
        switch name {
        case .cl100kBase: start = tally_vocab_cl100k_base(&count)
        case .o200kBase: start = tally_vocab_o200k_base(&count)
        }
        return UnsafeBufferPointer(start: start, count: count)
    }

    static func sha256Hex(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { out in
            tally_sha256(bytes.baseAddress, bytes.count, out.baseAddress)
        }
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in digest {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Loads an encoding from the embedded file: checks its SHA-256, its header and its sizes.
    init(_ name: Encoding.Name) throws(TokenizerError) {
        self.name = name
        _ = ScalarClassTable.shared  // built by the first load, so load time includes it
        let file = Self.embeddedFile(name)
        let actual = Self.sha256Hex(file)
        guard actual == Self.expectedSHA256(name) else {
            throw TokenizerError(.corruptVocabulary, "\(name.rawValue).tallyvocab: SHA-256 \(actual), expected \(Self.expectedSHA256(name)); rebuild after Scripts/convert-vocab")
        }
        guard file.count >= 12, let base = file.baseAddress, Array(file[0..<8]) == Array("TLYVOC01".utf8) else {
            throw TokenizerError(.corruptVocabulary, "\(name.rawValue).tallyvocab: no TLYVOC01 header")
        }
        let count = Int(file[8]) | Int(file[9]) << 8 | Int(file[10]) << 16 | Int(file[11]) << 24
        var total = 0
        for i in 0..<min(count, file.count - 12) { total += Int(file[12 + i]) }
        guard 12 + count + total == file.count else {
            throw TokenizerError(.corruptVocabulary, "\(name.rawValue).tallyvocab: \(file.count) bytes, the header says \(12 + count + total)")
        }
        guard let table = RankTable(count: count, lengths: base + 12, bytes: base + 12 + count) else {
            throw TokenizerError(.corruptVocabulary, "\(name.rawValue).tallyvocab: a token appears twice")
        }
        self.table = table
        specialTokens = Self.specialTokens(name).map { (Array($0.0.utf8), $0.1) }
    }

    deinit {
        table.deallocate()
    }

    /// The bytes of an ordinary token, or nil.
    @inline(__always)
    func bytes(ofRank rank: Int) -> UnsafeBufferPointer<UInt8>? {
        guard rank >= 0, rank < table.count else { return nil }
        let start = Int(table.offsets[rank])
        return UnsafeBufferPointer(start: table.bytes + start, count: Int(table.offsets[rank + 1]) - start)
    }
}
