#if canImport(Glibc)
package import Glibc
#elseif canImport(Musl)
package import Musl
#elseif canImport(Darwin)
package import Darwin
#endif

/// Byte searches over raw memory (the JSON reader's and the SSE parser's), done by the C library's vectorised `memchr`/`memcmp`.
package enum ByteSearch {
    /// The offset of the first `byte` in `base[from..<to]`, or `to` when there is none.
    @inlinable @inline(__always)
    package static func first(_ byte: UInt8, in base: UnsafeRawPointer, from: Int, to: Int) -> Int {
        guard from < to, let hit = memchr(base + from, Int32(byte), to - from) else { return to }
        return base.distance(to: UnsafeRawPointer(hit))
    }

    /// Whether `count` bytes at `lhs` equal those at `rhs`.
    @inlinable @inline(__always)
    package static func equal(_ lhs: UnsafeRawPointer, _ rhs: UnsafeRawPointer, count: Int) -> Bool {
        memcmp(lhs, rhs, count) == 0
    }
}
