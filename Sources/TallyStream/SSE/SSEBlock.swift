/// One complete block of an SSE stream: its bytes exactly as they came, up to and including
/// the blank line that ends it, and the event that blank line dispatched.
package struct SSEBlock: Sendable, Hashable {
    /// The block's bytes as received: its lines, comments, a leading byte order mark, the blank line.
    package var bytes: [UInt8]
    /// The event the block dispatched; nil for a block without a `data` line (comments, keep-alives, a lone blank line).
    package var event: SSEEvent?

    /// Creates a block from its bytes and its event.
    package init(bytes: [UInt8], event: SSEEvent?) {
        self.bytes = bytes
        self.event = event
    }
}
