/// Finds where SSE blocks end in a byte stream: right after each blank line, which is where a
/// WHATWG-conforming parser dispatches an event. Keeps its state between chunks, so a line end
/// cut between two chunks is still seen.
///
/// The gateway uses it to drop one event's bytes (the usage chunk it asked for on the caller's
/// behalf) while forwarding every other byte exactly as the upstream sent it.
struct SSEBlockSplitter: Sendable {
    private var atLineStart = true
    private var afterCarriageReturn = false

    /// The offsets in `chunk` just past each blank line, in order.
    mutating func blockEnds(in chunk: [UInt8]) -> [Int] {
        var ends: [Int] = []
        for (offset, byte) in chunk.enumerated() {
            switch byte {
            case 0x0A:
                if afterCarriageReturn {
                    // The LF of a CRLF: the line already ended at its CR.
                    afterCarriageReturn = false
                    continue
                }
                if atLineStart { ends.append(offset + 1) }
                atLineStart = true
            case 0x0D:
                if atLineStart { ends.append(offset + 1) }
                atLineStart = true
                afterCarriageReturn = true
            default:
                atLineStart = false
                afterCarriageReturn = false
            }
        }
        return ends
    }
}
