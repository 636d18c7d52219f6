/// Maps a token's bytes to its rank: open addressing over a flat array of 64-bit slots, each the
/// top 32 bits of the key's hash and the rank plus one (0 is an empty slot). The keys are not
/// copied: a slot points, through the rank, into the vocabulary's bytes.
struct RankTable: @unchecked Sendable {
    // @unchecked: the pointers are written only in `init` and freed only by the owning
    // `Vocabulary`'s deinit; between the two the table is immutable, so readers on several
    // threads are safe. Copies share the memory and must not outlive the owner.
    private let slots: UnsafeMutablePointer<UInt64>
    private let mask: Int
    /// The first byte of every token, by rank; token `r` is `offsets[r]..<offsets[r + 1]`.
    let offsets: UnsafeMutablePointer<UInt32>
    let bytes: UnsafePointer<UInt8>
    let count: Int
    /// The rank of every two-byte sequence (`first << 8 | second`), `UInt32.max` when it is not a
    /// token; the first merges of every piece look here instead of hashing.
    let pairRanks: UnsafeMutablePointer<UInt32>
    /// The rank of every single byte.
    let byteRanks: UnsafeMutablePointer<UInt32>

    /// Builds the table over `count` tokens whose lengths are `lengths` and whose bytes follow
    /// one another at `bytes`. Returns nil when a token appears twice.
    init?(count: Int, lengths: UnsafePointer<UInt8>, bytes: UnsafePointer<UInt8>) {
        self.count = count
        self.bytes = bytes
        offsets = UnsafeMutablePointer<UInt32>.allocate(capacity: count + 1)
        var offset: UInt32 = 0
        for rank in 0..<count {
            offsets[rank] = offset
            offset += UInt32(lengths[rank])
        }
        offsets[count] = offset
        var capacity = 1024
        while capacity < count * 2 { capacity <<= 1 }
        mask = capacity - 1
        slots = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
        slots.initialize(repeating: 0, count: capacity)
        var duplicate = false
        for rank in 0..<count {
            let start = Int(offsets[rank])
            let length = Int(lengths[rank])
            let hash = Self.hash(bytes + start, length)
            var index = Int(truncatingIfNeeded: hash) & mask
            while slots[index] != 0 {
                let other = Int(slots[index] & 0xFFFF_FFFF) - 1
                if slots[index] >> 32 == hash >> 32, Self.equal(bytes + start, length, bytes + Int(offsets[other]), Int(offsets[other + 1] - offsets[other])) {
                    duplicate = true
                }
                index = (index + 1) & mask
            }
            slots[index] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(rank + 1)
        }
        pairRanks = .allocate(capacity: 65536)
        pairRanks.initialize(repeating: .max, count: 65536)
        byteRanks = .allocate(capacity: 256)
        byteRanks.initialize(repeating: .max, count: 256)
        for rank in 0..<count {
            let start = Int(offsets[rank])
            switch lengths[rank] {
            case 1: byteRanks[Int(bytes[start])] = UInt32(rank)
            case 2: pairRanks[Int(bytes[start]) << 8 | Int(bytes[start + 1])] = UInt32(rank)
            default: break
            }
        }
        if duplicate {
            deallocate()
            return nil
        }
    }

    /// Frees the table; called once, by the owning `Vocabulary`.
    func deallocate() {
        slots.deallocate()
        offsets.deallocate()
        pairRanks.deallocate()
        byteRanks.deallocate()
    }

    /// The rank of the `length` bytes at `key`, or `UInt32.max` when they are not a token.
    @inline(__always)
    func rank(of key: UnsafePointer<UInt8>, _ length: Int) -> UInt32 {
        let hash = Self.hash(key, length)
        let tag = hash >> 32
        var index = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[index]
            if slot == 0 { return .max }
            if slot >> 32 == tag {
                let rank = Int(slot & 0xFFFF_FFFF) - 1
                let start = Int(offsets[rank])
                if Int(offsets[rank + 1]) - start == length, Self.equal(key, length, bytes + start, length) {
                    return UInt32(rank)
                }
            }
            index = (index + 1) & mask
        }
    }

    @inline(__always)
    private static func equal(_ a: UnsafePointer<UInt8>, _ aLength: Int, _ b: UnsafePointer<UInt8>, _ bLength: Int) -> Bool {
        guard aLength == bLength else { return false }
        var i = 0
        while i + 8 <= aLength {
            if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) {
                return false
            }
            i += 8
        }
        while i < aLength {
            if a[i] != b[i] { return false }
            i += 1
        }
        return true
    }

    @inline(__always)
    private static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    /// A wyhash-style hash of `length` bytes; reads only inside them.
    @inline(__always)
    static func hash(_ key: UnsafePointer<UInt8>, _ length: Int) -> UInt64 {
        let raw = UnsafeRawPointer(key)
        let k0: UInt64 = 0xA076_1D64_78BD_642F
        let k1: UInt64 = 0xE703_7ED1_A0B4_28DB
        let k2: UInt64 = 0x8EBC_6AF0_9C88_C6E3
        var a: UInt64
        var b: UInt64
        if length <= 16 {
            if length >= 4 {
                let shift = (length >> 3) << 2
                a = UInt64(raw.loadUnaligned(as: UInt32.self)) << 32
                    | UInt64(raw.loadUnaligned(fromByteOffset: shift, as: UInt32.self))
                b = UInt64(raw.loadUnaligned(fromByteOffset: length - 4, as: UInt32.self)) << 32
                    | UInt64(raw.loadUnaligned(fromByteOffset: length - 4 - shift, as: UInt32.self))
            } else if length > 0 {
                a = UInt64(key[0]) << 16 | UInt64(key[length >> 1]) << 8 | UInt64(key[length - 1])
                b = 0
            } else {
                a = 0
                b = 0
            }
            return mix(a ^ k1 ^ UInt64(length), mix(b ^ k2, k0))
        }
        var seed = k0 ^ UInt64(length)
        var i = 0
        while i + 16 < length {
            seed = mix(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ k1,
                       raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self) ^ seed)
            i += 16
        }
        a = raw.loadUnaligned(fromByteOffset: length - 16, as: UInt64.self)
        b = raw.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
        return mix(a ^ k1 ^ UInt64(length), mix(b ^ k2, seed))
    }
}
