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

    /// Pieces longer than this are merged with a heap (O(n log n)) instead of rescanning every
    /// pair after each merge (O(n²)); both give the same tokens.
    static let heapThreshold = 256

    /// Appends the tokens of the `length` (≥ 2) bytes at `piece`, which are not one token.
    mutating func merge<Sink: TokenSink>(
        _ piece: UnsafePointer<UInt8>, _ length: Int, table: RankTable, into sink: inout Sink,
        heapThreshold: Int = BytePairMerger.heapThreshold
    ) {
        if length > heapThreshold {
            Self.mergeWithHeap(piece, length, table: table, into: &sink)
            return
        }
        reserve(length)
        var parts = length
        for k in 0..<length {
            starts[k] = Int32(k)
            partRanks[k] = table.byteRanks[Int(piece[k])]
        }
        starts[length] = Int32(length)
        for k in 0..<(length - 1) {
            pairRanks[k] = table.pairRanks[Int(piece[k]) << 8 | Int(piece[k + 1])]
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

    /// The same merge order for long pieces: a min-heap of (rank, start) over adjacent pairs, a
    /// linked list of parts, and stale heap entries skipped when popped. The lowest rank wins and
    /// on a tie the leftmost pair, exactly as in the rescanning loop.
    static func mergeWithHeap<Sink: TokenSink>(
        _ piece: UnsafePointer<UInt8>, _ length: Int, table: RankTable, into sink: inout Sink
    ) {
        // Part k starts at byte k; next/previous are byte offsets of the neighbouring part starts.
        var next = [Int32](repeating: 0, count: length)
        var previous = [Int32](repeating: 0, count: length)
        var alive = [Bool](repeating: true, count: length)
        var pairRank = [UInt32](repeating: .max, count: length)
        var partRank = [UInt32](repeating: .max, count: length)
        var heap = MinHeap(capacity: length * 2)
        for k in 0..<length {
            next[k] = Int32(k + 1)
            previous[k] = Int32(k - 1)
            partRank[k] = table.byteRanks[Int(piece[k])]
            if k + 1 < length {
                pairRank[k] = table.pairRanks[Int(piece[k]) << 8 | Int(piece[k + 1])]
                if pairRank[k] != .max { heap.push(UInt64(pairRank[k]) << 32 | UInt64(k)) }
            }
        }
        while let entry = heap.pop() {
            let rank = UInt32(entry >> 32)
            let left = Int(entry & 0xFFFF_FFFF)
            guard alive[left], pairRank[left] == rank else { continue }
            let right = Int(next[left])
            partRank[left] = rank
            alive[right] = false
            let after = Int(next[right])
            next[left] = Int32(after)
            if after < length {
                previous[after] = Int32(left)
                pairRank[left] = table.rank(of: piece + left, Int(next[after]) - left)
                if pairRank[left] != .max { heap.push(UInt64(pairRank[left]) << 32 | UInt64(left)) }
            } else {
                pairRank[left] = .max
            }
            let before = Int(previous[left])
            if before >= 0 {
                pairRank[before] = table.rank(of: piece + before, after - before)
                if pairRank[before] != .max { heap.push(UInt64(pairRank[before]) << 32 | UInt64(before)) }
            }
        }
        var k = 0
        while k < length {
            sink.append(partRank[k])
            k = Int(next[k])
        }
    }
}

/// A binary min-heap of 64-bit keys.
struct MinHeap {
    private var keys: [UInt64] = []

    init(capacity: Int) { keys.reserveCapacity(capacity) }

    mutating func push(_ key: UInt64) {
        keys.append(key)
        var child = keys.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard keys[child] < keys[parent] else { break }
            keys.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let top = keys.first else { return nil }
        let last = keys.removeLast()
        if !keys.isEmpty {
            keys[0] = last
            var parent = 0
            while true {
                let left = parent * 2 + 1
                guard left < keys.count else { break }
                let right = left + 1
                let smaller = right < keys.count && keys[right] < keys[left] ? right : left
                guard keys[smaller] < keys[parent] else { break }
                keys.swapAt(smaller, parent)
                parent = smaller
            }
        }
        return top
    }
}
