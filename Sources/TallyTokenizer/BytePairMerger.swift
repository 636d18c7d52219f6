/// Where the tokens of a piece go: an array of ids, or only their number.
protocol TokenSink {
    mutating func append(_ token: UInt32)
}

/// Collects token ids.
struct TokenArraySink: TokenSink {
    var tokens: [Int] = []
    @inline(__always)
    mutating func append(_ token: UInt32) { tokens.append(Int(token)) }
}

/// Counts tokens without keeping them.
struct TokenCountSink: TokenSink {
    var count = 0
    @inline(__always)
    mutating func append(_ token: UInt32) { count += 1 }
}

/// tiktoken's byte-pair merge of one piece: start from single bytes and repeatedly merge the
/// adjacent pair whose concatenation has the lowest rank (the leftmost on a tie) until no
/// adjacent pair is a token. Scratch memory is allocated once per encode call and reused.
struct BytePairMerger: ~Copyable {
    /// Start of each part, then the piece's length.
    private var starts: UnsafeMutablePointer<Int32>
    /// Rank of part k merged with part k+1 (`UInt32.max` when that is not a token).
    private var pairRanks: UnsafeMutablePointer<UInt32>
    /// Rank of part k.
    private var partRanks: UnsafeMutablePointer<UInt32>
    private var capacity: Int

    init() {
        capacity = 64
        starts = .allocate(capacity: capacity + 1)
        pairRanks = .allocate(capacity: capacity)
        partRanks = .allocate(capacity: capacity)
    }

    deinit {
        starts.deallocate()
        pairRanks.deallocate()
        partRanks.deallocate()
    }

    private mutating func reserve(_ length: Int) {
        guard length > capacity else { return }
        starts.deallocate()
        pairRanks.deallocate()
        partRanks.deallocate()
        capacity = max(length, capacity * 2)
        starts = .allocate(capacity: capacity + 1)
        pairRanks = .allocate(capacity: capacity)
        partRanks = .allocate(capacity: capacity)
    }

    /// Appends the tokens of the `length` (≥ 2) bytes at `piece`, which are not one token.
    mutating func merge<Sink: TokenSink>(
        _ piece: UnsafePointer<UInt8>, _ length: Int, table: RankTable, into sink: inout Sink
    ) {
        reserve(length)
        var parts = length
        for k in 0..<length {
            starts[k] = Int32(k)
            partRanks[k] = table.rank(of: piece + k, 1)
        }
        starts[length] = Int32(length)
        for k in 0..<(length - 1) {
            pairRanks[k] = table.rank(of: piece + k, 2)
        }
        while parts > 1 {
            var best = UInt32.max
            var bestIndex = 0
            for k in 0..<(parts - 1) where pairRanks[k] < best {
                best = pairRanks[k]
                bestIndex = k
            }
            if best == .max { break }
            // Merge parts bestIndex and bestIndex + 1.
            partRanks[bestIndex] = best
            let moved = parts - bestIndex - 2
            if moved > 0 {
                (partRanks + bestIndex + 1).update(from: partRanks + bestIndex + 2, count: moved)
                (pairRanks + bestIndex + 1).update(from: pairRanks + bestIndex + 2, count: moved - 1)
            }
            (starts + bestIndex + 1).update(from: starts + bestIndex + 2, count: moved + 1)
            parts -= 1
            if bestIndex + 1 < parts {
                let from = Int(starts[bestIndex])
                pairRanks[bestIndex] = table.rank(of: piece + from, Int(starts[bestIndex + 2]) - from)
            }
            if bestIndex > 0 {
                let from = Int(starts[bestIndex - 1])
                pairRanks[bestIndex - 1] = table.rank(of: piece + from, Int(starts[bestIndex + 1]) - from)
            }
        }
        for k in 0..<parts {
            sink.append(partRanks[k])
        }
    }
}
