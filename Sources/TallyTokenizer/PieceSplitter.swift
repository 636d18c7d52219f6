/// Splits valid UTF-8 into the pieces an encoding's pre-tokenization pattern matches, with a
/// hand-written matcher per pattern that gives the same pieces as tiktoken's regex (fancy-regex,
/// leftmost-first alternation with backtracking). It reads bytes and Unicode scalars, never
/// `Character`s.
///
/// cl100k_base, as tiktoken 0.14 writes it:
/// `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`
///
/// o200k_base:
/// `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?`
/// `|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?`
/// `|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
///
/// `$` is the end of the text handed to the splitter: with special tokens allowed, each stretch
/// between two special tokens is split on its own, as tiktoken does.
struct PieceSplitter {
    enum Pattern: Sendable {
        case cl100k
        case o200k
    }

    let base: UnsafePointer<UInt8>
    let end: Int
    let table: UnsafeMutablePointer<UInt8>
    let pattern: Pattern

    private static let letter = ScalarClass.letter.rawValue
    private static let number = ScalarClass.number.rawValue
    private static let space = ScalarClass.space.rawValue
    private static let upperish = ScalarClass.upperish.rawValue
    private static let lowerish = ScalarClass.lowerish.rawValue
    private static let newline = ScalarClass.newline.rawValue
    /// Neither a letter nor a number nor white space: `[^\s\p{L}\p{N}]`.
    private static let notOther = letter | number | space
    /// What `[^\r\n\p{L}\p{N}]` excludes.
    private static let notPrefix = letter | number | newline

    /// The class flags of the scalar at `i` and its length in bytes.
    @inline(__always)
    func scalar(at i: Int) -> (flags: UInt8, length: Int) {
        let b0 = base[i]
        if b0 < 0x80 { return (table[Int(b0)], 1) }
        if b0 < 0xE0 {
            let value = UInt32(b0 & 0x1F) << 6 | UInt32(base[i + 1] & 0x3F)
            return (table[Int(value)], 2)
        }
        if b0 < 0xF0 {
            let value = UInt32(b0 & 0x0F) << 12 | UInt32(base[i + 1] & 0x3F) << 6 | UInt32(base[i + 2] & 0x3F)
            return (table[Int(value)], 3)
        }
        let value = UInt32(b0 & 0x07) << 18 | UInt32(base[i + 1] & 0x3F) << 12
            | UInt32(base[i + 2] & 0x3F) << 6 | UInt32(base[i + 3] & 0x3F)
        if value < ScalarClassTable.tableLimit { return (table[Int(value)], 4) }
        return (ScalarClass.of(value).rawValue, 4)
    }

    /// The end of the piece that starts at `start` (`start < end`).
    @inline(__always)
    func pieceEnd(from start: Int) -> Int {
        switch pattern {
        case .cl100k: return cl100kPieceEnd(from: start)
        case .o200k: return o200kPieceEnd(from: start)
        }
    }

    /// The end of the run of scalars from `i` whose flags intersect `mask`.
    @inline(__always)
    private func runEnd(from i: Int, matching mask: UInt8) -> Int {
        var i = i
        while i < end {
            let b = base[i]
            if b < 0x80 {
                if table[Int(b)] & mask == 0 { return i }
                i += 1
            } else {
                let (flags, length) = scalar(at: i)
                if flags & mask == 0 { return i }
                i += length
            }
        }
        return i
    }

    /// The end of the run of scalars from `i` whose flags do not intersect `mask`.
    @inline(__always)
    private func runEnd(from i: Int, avoiding mask: UInt8) -> Int {
        var i = i
        while i < end {
            let (flags, length) = scalar(at: i)
            if flags & mask != 0 { return i }
            i += length
        }
        return i
    }

    /// The end of `[\r\n]*` (or `[\r\n/]*` with `slash`) from `i`.
    @inline(__always)
    private func newlineRunEnd(from i: Int, slash: Bool) -> Int {
        var i = i
        while i < end {
            let b = base[i]
            guard b == 0x0A || b == 0x0D || (slash && b == 0x2F) else { break }
            i += 1
        }
        return i
    }

    /// The length of a contraction (`'s`, `'t`, `'re`, `'ve`, `'m`, `'ll`, `'d`, case-insensitive
    /// as the Rust regex crate folds case: `ſ` matches `s`) at `i`, or 0.
    @inline(__always)
    private func contractionLength(at i: Int) -> Int {
        guard i + 1 < end, base[i] == 0x27 else { return 0 }
        let first = base[i + 1]
        switch first | 0x20 {
        case 0x73, 0x64, 0x6D, 0x74:  // s d m t
            return 2
        case 0x6C:  // ll
            return i + 2 < end && base[i + 2] | 0x20 == 0x6C ? 3 : 0
        case 0x76, 0x72:  // ve, re
            return i + 2 < end && base[i + 2] | 0x20 == 0x65 ? 3 : 0
        default:
            // U+017F LATIN SMALL LETTER LONG S folds to "s".
            return first == 0xC5 && i + 2 < end && base[i + 2] == 0xBF ? 3 : 0
        }
    }

    /// The whitespace alternatives that close both patterns, from `start` (a white-space scalar).
    /// `endTakesAll` is cl100k's `\s++$`, tried before the newline rule.
    @inline(__always)
    private func spacePieceEnd(from start: Int, firstLength: Int, endTakesAll: Bool) -> Int {
        var i = start + firstLength
        var lastNewlineEnd = base[start] == 0x0A || base[start] == 0x0D ? i : -1
        var lastScalarStart = start
        while i < end {
            let (flags, length) = scalar(at: i)
            if flags & Self.space == 0 { break }
            if flags & Self.newline != 0 { lastNewlineEnd = i + length }
            lastScalarStart = i
            i += length
        }
        if endTakesAll && i == end { return end }  // \s++$
        if lastNewlineEnd >= 0 { return lastNewlineEnd }  // \s*[\r\n]  /  \s*[\r\n]+
        if i == end { return end }  // \s+(?!\S) at the end
        if lastScalarStart > start { return lastScalarStart }  // \s+(?!\S): all but the last
        return i  // \s  /  \s+ (one scalar)
    }

    private func cl100kPieceEnd(from start: Int) -> Int {
        let b0 = base[start]
        // '(?i:[sdmt]|ll|ve|re)
        if b0 == 0x27 {
            let length = contractionLength(at: start)
            if length > 0 { return start + length }
        }
        let (flags, length) = scalar(at: start)
        // [^\r\n\p{L}\p{N}]?+\p{L}++
        if flags & Self.letter != 0 {
            return runEnd(from: start + length, matching: Self.letter)
        }
        if flags & Self.notPrefix == 0, start + length < end, scalar(at: start + length).flags & Self.letter != 0 {
            return runEnd(from: start + length, matching: Self.letter)
        }
        // \p{N}{1,3}+
        if flags & Self.number != 0 {
            var i = start + length
            var count = 1
            while count < 3, i < end {
                let next = scalar(at: i)
                if next.flags & Self.number == 0 { break }
                i += next.length
                count += 1
            }
            return i
        }
        // ' ?[^\s\p{L}\p{N}]++[\r\n]*+'
        if flags & Self.notOther == 0 {
            return newlineRunEnd(from: runEnd(from: start + length, avoiding: Self.notOther), slash: false)
        }
        if b0 == 0x20, start + 1 < end, scalar(at: start + 1).flags & Self.notOther == 0 {
            return newlineRunEnd(from: runEnd(from: start + 1, avoiding: Self.notOther), slash: false)
        }
        return spacePieceEnd(from: start, firstLength: length, endTakesAll: true)
    }

    /// o200k's first alternative from `start` (after the optional prefix): `U*W+` and a
    /// contraction, with the backtracking the regex does when `U*` swallowed the only `W`s.
    @inline(__always)
    private func o200kLowerWordEnd(from start: Int) -> Int? {
        var i = start
        var lastLowerishEnd = -1
        while i < end {
            let (flags, length) = scalar(at: i)
            if flags & Self.upperish == 0 {
                if flags & Self.lowerish != 0 {
                    let wordEnd = runEnd(from: i + length, matching: Self.lowerish)
                    return wordEnd + contractionLength(at: wordEnd)
                }
                break
            }
            if flags & Self.lowerish != 0 { lastLowerishEnd = i + length }
            i += length
        }
        guard lastLowerishEnd >= 0 else { return nil }
        return lastLowerishEnd + contractionLength(at: lastLowerishEnd)
    }

    /// o200k's second alternative from `start`: `U+W*` and a contraction.
    @inline(__always)
    private func o200kUpperWordEnd(from start: Int) -> Int? {
        guard start < end, scalar(at: start).flags & Self.upperish != 0 else { return nil }
        let upperEnd = runEnd(from: start, matching: Self.upperish)
        let wordEnd = runEnd(from: upperEnd, matching: Self.lowerish)
        return wordEnd + contractionLength(at: wordEnd)
    }

    private func o200kPieceEnd(from start: Int) -> Int {
        let b0 = base[start]
        let (flags, length) = scalar(at: start)
        let canPrefix = flags & Self.notPrefix == 0
        if flags & (Self.upperish | Self.lowerish) != 0 || canPrefix {
            if canPrefix, let wordEnd = o200kLowerWordEnd(from: start + length) { return wordEnd }
            if let wordEnd = o200kLowerWordEnd(from: start) { return wordEnd }
            if canPrefix, let wordEnd = o200kUpperWordEnd(from: start + length) { return wordEnd }
            if let wordEnd = o200kUpperWordEnd(from: start) { return wordEnd }
        }
        // \p{N}{1,3}
        if flags & Self.number != 0 {
            var i = start + length
            var count = 1
            while count < 3, i < end {
                let next = scalar(at: i)
                if next.flags & Self.number == 0 { break }
                i += next.length
                count += 1
            }
            return i
        }
        // ' ?[^\s\p{L}\p{N}]+[\r\n/]*'
        if flags & Self.notOther == 0 {
            return newlineRunEnd(from: runEnd(from: start + length, avoiding: Self.notOther), slash: true)
        }
        if b0 == 0x20, start + 1 < end, scalar(at: start + 1).flags & Self.notOther == 0 {
            return newlineRunEnd(from: runEnd(from: start + 1, avoiding: Self.notOther), slash: true)
        }
        return spacePieceEnd(from: start, firstLength: length, endTakesAll: false)
    }
}
