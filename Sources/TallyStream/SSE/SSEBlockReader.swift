/// Cuts an SSE stream into its blocks, each with its raw bytes and its parsed event, for a
/// proxy that forwards every byte it does not drop exactly as it came.
///
/// The block boundaries are the ``SSEParser``'s own (the blank lines where it dispatches), so
/// a block's bytes and its event always agree. Feed chunks of any size; the bytes after the
/// last complete block are held until the block completes or ``finish()`` hands them back.
///
/// ```swift
/// var reader = SSEBlockReader()
/// for try await chunk in body {
///     try reader.parse(chunk) { block in if !isHidden(block.event) { forward(block.bytes) } }
/// }
/// forward(reader.finish())  // an unfinished last block, as it came
/// ```
package struct SSEBlockReader: Sendable {
    /// The parser that finds the blocks and their events.
    private var parser: SSEParser
    /// The bytes received since the last complete block.
    package private(set) var unfinishedBlock: [UInt8] = []
    /// Bytes received before this chunk, for the offset an error names.
    private var received = 0
    /// The error that failed the reader, thrown again by every later chunk.
    private var failure: SSEParserError?

    /// The bound on one block's raw bytes: twice the event limit, room for its lines' `data: `
    /// prefixes, line ends, comments and `id:` lines, which the parser's limit does not count. A
    /// block of nothing but comments would otherwise be held whole, however long it grew.
    package var maxBlockBytes: Int {
        let (twice, overflow) = parser.maxEventBytes.multipliedReportingOverflow(by: 2)
        return overflow ? .max : twice
    }

    /// Creates a reader; `maxEventBytes` bounds one event as ``SSEParser/maxEventBytes`` says,
    /// and one block's raw bytes at twice that (``maxBlockBytes``).
    package init(maxEventBytes: Int = SSEParser.defaultMaxEventBytes) {
        parser = SSEParser(maxEventBytes: maxEventBytes)
    }

    /// Parses the next chunk, calling `onBlock` for every block it completes, in stream order.
    ///
    /// Throws ``SSEParserError`` when an event exceeds the limit, or a block's raw bytes exceed
    /// ``maxBlockBytes``; the reader then stays failed. An error thrown by `onBlock` stops
    /// parsing of this chunk and is rethrown.
    package mutating func parse(_ chunk: UnsafeRawBufferPointer, onBlock: (SSEBlock) throws -> Void) throws {
        if let failure { throw failure }
        defer { received += chunk.count }
        var pending = unfinishedBlock
        unfinishedBlock = []
        var event: SSEEvent?
        var start = 0
        defer {
            // Whatever follows the last block end (all of it after a throw) stays unfinished.
            if start < chunk.count { pending.append(contentsOf: chunk[start...]) }
            unfinishedBlock = pending
        }
        try parser.parse(chunk, onEvent: { event = $0 }, onBlockEnd: { end in
            let bytes: [UInt8]
            if pending.isEmpty {
                bytes = Array(chunk[start..<end])
            } else {
                pending.append(contentsOf: chunk[start..<end])
                bytes = pending
                pending = []
            }
            let block = SSEBlock(bytes: bytes, event: event)
            event = nil
            start = end
            try onBlock(block)
        })
        if pending.count + (chunk.count - start) > maxBlockBytes {
            let error = SSEParserError(code: .eventTooLarge, offset: received + start - pending.count, limit: maxBlockBytes)
            failure = error
            throw error
        }
    }

    /// Parses the next chunk, calling `onBlock` for every block it completes, in stream order.
    package mutating func parse(_ chunk: [UInt8], onBlock: (SSEBlock) throws -> Void) throws {
        try chunk.withUnsafeBytes { try parse($0, onBlock: onBlock) }
    }

    /// Parses the next chunk and returns the blocks it completes.
    package mutating func parse(_ chunk: [UInt8]) throws -> [SSEBlock] {
        var blocks: [SSEBlock] = []
        try parse(chunk) { blocks.append($0) }
        return blocks
    }

    /// Ends the stream and returns the bytes after its last complete block (empty when it ended
    /// at a block end); any event they began is discarded, as ``SSEParser/finish()`` does.
    /// The reader is then ready for a new stream.
    @discardableResult
    package mutating func finish() -> [UInt8] {
        parser.finish()
        defer {
            unfinishedBlock = []
            received = 0
            failure = nil
        }
        return unfinishedBlock
    }
}
