import TallyJSON
/// An incremental Server-Sent Events parser: feed it byte chunks of any size and it calls you
/// back with each event, exactly as the WHATWG EventSource rules define them.
///
/// Lines may end in `\r\n`, `\n` or `\r`, also when a `\r\n` is cut between two chunks; `data`
/// lines are joined with `\n`; comments, unknown fields and a leading byte order mark are
/// skipped; `id` values holding NUL and non-numeric `retry` values are ignored. Memory holds
/// only the unfinished line and the current event, and one event may not grow past
/// ``maxEventBytes``: the parser throws ``SSEParserError`` instead.
///
/// ```swift
/// var parser = SSEParser()
/// for try await chunk in body { try parser.parse(chunk) { event in handle(event) } }
/// if parser.finish() == .midEvent { /* the stream was cut */ }
/// ```
public struct SSEParser: Sendable {
    /// How a stream ended, as ``SSEParser/finish()`` reports it.
    public enum End: Sendable, Hashable {
        /// The stream ended between events: nothing was pending.
        case clean
        /// The stream ended inside an event or a line; that unfinished event was discarded.
        case midEvent
    }

    /// The default limit on one event: 16 MiB.
    public static let defaultMaxEventBytes = 16 << 20

    /// The limit, in bytes, on one event's `data` and `event` lines plus the line being read.
    public let maxEventBytes: Int
    /// The last event ID buffer: the value of the last valid `id` field seen, or `""`.
    public private(set) var lastEventID: String = ""
    /// The reconnection time in milliseconds from the last valid `retry` field, if any.
    public private(set) var reconnectionTime: Int?

    /// The unfinished line carried over from the previous chunk.
    private var partialLine: [UInt8] = []
    /// The data buffer of the current event, lines joined with `\n`.
    private var dataBuffer: [UInt8] = []
    /// Whether the current event has had a `data` field (the data may still be empty).
    private var hasData = false
    /// The event type buffer of the current event.
    private var typeBuffer: [UInt8] = []
    /// Bytes of the `data` and `event` lines of the current event, counted against the limit.
    private var retainedBytes = 0
    /// The previous chunk ended in `\r`: a `\n` opening the next chunk belongs to that line end.
    private var skipsLeadingLineFeed = false
    /// Bytes of a leading byte order mark matched so far; nil once the stream start is past.
    private var bomMatched: Int? = 0
    /// Bytes consumed before the current chunk, for error offsets.
    private var streamOffset = 0
    /// The error that stopped the parser, rethrown on every later call.
    private var failure: SSEParserError?
    /// Recently dispatched event types, so a repeated type costs no allocation.
    private var typeCache = TypeCache()

    /// Creates a parser; `maxEventBytes` bounds one event (default 16 MiB).
    public init(maxEventBytes: Int = SSEParser.defaultMaxEventBytes) {
        self.maxEventBytes = max(1, maxEventBytes)
    }

    /// Parses the next chunk of the stream, calling `onEvent` for every event it completes.
    ///
    /// Throws ``SSEParserError`` when an event exceeds the limit; the parser then stays failed.
    /// An error thrown by `onEvent` stops parsing of this chunk and is rethrown.
    public mutating func parse(
        _ chunk: UnsafeRawBufferPointer,
        onEvent: (SSEEvent) throws -> Void
    ) throws {
        try parse(chunk, onEvent: onEvent, onBlockEnd: { _ in })
    }

    /// Parses the next chunk like ``parse(_:onEvent:)``, and calls `onBlockEnd` with the offset in
    /// `chunk` just past each blank line: where a block of the stream ends, and the one place an
    /// event is dispatched. For a blank line that dispatches an event, `onEvent` is called first.
    ///
    /// A blank line ended by `\r\n` ends its block after the `\r`, so the `\n` opens the next
    /// block whether or not a chunk boundary falls between the two; block ends therefore do not
    /// depend on how the stream is cut. ``SSEBlockReader`` turns these offsets into blocks.
    package mutating func parse(
        _ chunk: UnsafeRawBufferPointer,
        onEvent: (SSEEvent) throws -> Void,
        onBlockEnd: (Int) throws -> Void
    ) throws {
        if let failure { throw failure }
        guard let base = chunk.baseAddress, chunk.count > 0 else { return }
        defer { streamOffset &+= chunk.count }
        try parseBytes(base, count: chunk.count, onEvent: onEvent, onBlockEnd: onBlockEnd)
    }

    /// Parses the next chunk of the stream, calling `onEvent` for every event it completes.
    public mutating func parse(
        _ chunk: some Collection<UInt8>,
        onEvent: (SSEEvent) throws -> Void
    ) throws {
        let done: Void? = try chunk.withContiguousStorageIfAvailable { buffer in
            try parse(UnsafeRawBufferPointer(buffer), onEvent: onEvent)
        }
        if done == nil {
            let copy = Array(chunk)
            try copy.withUnsafeBytes { try parse($0, onEvent: onEvent) }
        }
    }

    /// Parses the next chunk of the stream and returns the events it completes.
    public mutating func parse(_ chunk: some Collection<UInt8>) throws -> [SSEEvent] {
        var events: [SSEEvent] = []
        try parse(chunk) { events.append($0) }
        return events
    }

    /// Ends the stream: discards an unfinished event, as the rules require, and says whether there was one.
    ///
    /// The parser is then ready for a new stream (a reconnection); the last event ID and the
    /// reconnection time are kept.
    @discardableResult
    public mutating func finish() -> End {
        let midEvent = !partialLine.isEmpty || hasData || !typeBuffer.isEmpty || (bomMatched ?? 0) > 0
        partialLine = []
        dataBuffer = []
        typeBuffer = []
        hasData = false
        retainedBytes = 0
        skipsLeadingLineFeed = false
        bomMatched = 0
        streamOffset = 0
        failure = nil
        return midEvent ? .midEvent : .clean
    }

    // MARK: - Lines

    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
    private static let lineFeed: UInt8 = 0x0A
    private static let carriageReturn: UInt8 = 0x0D

    private mutating func parseBytes(
        _ base: UnsafeRawPointer,
        count: Int,
        onEvent: (SSEEvent) throws -> Void,
        onBlockEnd: (Int) throws -> Void
    ) throws {
        var index = 0
        if let matched = bomMatched {
            // The stream start: hold back bytes that may be a byte order mark until it is decided.
            var matchedNow = matched
            while matchedNow < 3, index < count,
                  base.load(fromByteOffset: index, as: UInt8.self) == Self.byteOrderMark[matchedNow] {
                matchedNow += 1
                index += 1
            }
            if matchedNow == 3 {
                bomMatched = nil
            } else if index == count {
                bomMatched = matchedNow
                return
            } else {
                // Not a byte order mark: the held-back bytes start the first line, and parsing
                // goes on at the byte that did not match.
                bomMatched = nil
                partialLine.append(contentsOf: Self.byteOrderMark[0..<matchedNow])
            }
        }
        if skipsLeadingLineFeed, index < count {
            skipsLeadingLineFeed = false
            if base.load(fromByteOffset: index, as: UInt8.self) == Self.lineFeed { index += 1 }
        }
        // Positions of the next `\n` and `\r`, searched again only once passed.
        var nextLineFeed = -1
        var nextCarriageReturn = -1
        while index < count {
            if nextLineFeed < index {
                nextLineFeed = ByteSearch.first(Self.lineFeed, in: base, from: index, to: count)
            }
            if nextCarriageReturn < index {
                nextCarriageReturn = ByteSearch.first(Self.carriageReturn, in: base, from: index, to: count)
            }
            let lineEnd = min(nextLineFeed, nextCarriageReturn)
            if lineEnd == count {
                // No line end in the rest of the chunk: keep the unfinished line, within the limit.
                let length = partialLine.count + (count - index)
                if retainedBytes + length > maxEventBytes {
                    try fail(lineStart: streamOffset + index - partialLine.count)
                }
                partialLine.append(contentsOf: UnsafeRawBufferPointer(start: base + index, count: count - index))
                break
            }
            if partialLine.isEmpty {
                try processLine(
                    UnsafeRawBufferPointer(start: base + index, count: lineEnd - index),
                    lineStart: streamOffset + index,
                    onEvent: onEvent
                )
                // A blank line (nothing carried over, nothing before its end) ends a block.
                if lineEnd == index { try onBlockEnd(lineEnd + 1) }
            } else {
                let lineStart = streamOffset + index - partialLine.count
                partialLine.append(contentsOf: UnsafeRawBufferPointer(start: base + index, count: lineEnd - index))
                var line = partialLine
                partialLine = []
                try line.withUnsafeBytes { try processLine($0, lineStart: lineStart, onEvent: onEvent) }
                line.removeAll(keepingCapacity: line.capacity <= Self.keptCapacity)
                partialLine = line
            }
            index = lineEnd + 1
            if lineEnd == nextCarriageReturn {
                if index < count {
                    if base.load(fromByteOffset: index, as: UInt8.self) == Self.lineFeed { index += 1 }
                } else {
                    skipsLeadingLineFeed = true
                }
            }
        }
    }

    /// Buffers above this capacity are released after use, so one large event does not pin memory.
    private static let keptCapacity = 64 << 10

    private mutating func fail(lineStart: Int) throws -> Never {
        let error = SSEParserError(code: .eventTooLarge, offset: lineStart, limit: maxEventBytes)
        failure = error
        partialLine = []
        dataBuffer = []
        typeBuffer = []
        throw error
    }

    private mutating func processLine(
        _ line: UnsafeRawBufferPointer,
        lineStart: Int,
        onEvent: (SSEEvent) throws -> Void
    ) throws {
        guard let base = line.baseAddress, line.count > 0 else {
            try dispatch(onEvent)
            return
        }
        let length = line.count
        if retainedBytes + length > maxEventBytes { try fail(lineStart: lineStart) }
        if base.load(as: UInt8.self) == UInt8(ascii: ":") { return }
        let colon = ByteSearch.first(UInt8(ascii: ":"), in: base, from: 0, to: length)
        var valueStart = min(colon + 1, length)
        if valueStart < length, base.load(fromByteOffset: valueStart, as: UInt8.self) == UInt8(ascii: " ") {
            valueStart += 1
        }
        let value = UnsafeRawBufferPointer(start: base + valueStart, count: length - valueStart)
        switch colon {
        case 4 where Self.named(base, "data"):
            if hasData { dataBuffer.append(Self.lineFeed) }
            dataBuffer.append(contentsOf: value)
            hasData = true
            retainedBytes += length
        case 5 where Self.named(base, "event"):
            typeBuffer.removeAll(keepingCapacity: true)
            typeBuffer.append(contentsOf: value)
            retainedBytes += length
        case 2 where Self.named(base, "id"):
            if ByteSearch.first(0, in: base, from: valueStart, to: length) == length {
                lastEventID = String(decoding: value, as: UTF8.self)
            }
        case 5 where Self.named(base, "retry"):
            if let milliseconds = Self.digits(value) { reconnectionTime = milliseconds }
        default:
            break
        }
    }

    @inline(__always)
    private static func named(_ base: UnsafeRawPointer, _ name: StaticString) -> Bool {
        ByteSearch.equal(base, name.utf8Start, count: name.utf8CodeUnitCount)
    }

    /// The value of a string of ASCII digits; nil when empty, not all digits, or too large.
    private static func digits(_ value: UnsafeRawBufferPointer) -> Int? {
        guard !value.isEmpty else { return nil }
        var result = 0
        for byte in value {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = result.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            result = sum
        }
        return result
    }

    private mutating func dispatch(_ onEvent: (SSEEvent) throws -> Void) throws {
        defer {
            dataBuffer.removeAll(keepingCapacity: dataBuffer.capacity <= Self.keptCapacity)
            if !typeBuffer.isEmpty { typeBuffer.removeAll(keepingCapacity: true) }
            hasData = false
            retainedBytes = 0
        }
        guard hasData else { return }
        let type = typeBuffer.isEmpty ? "message" : typeCache.string(for: typeBuffer)
        try onEvent(SSEEvent(type: type, data: dataBuffer, lastEventID: lastEventID))
    }
}

extension SSEParser {
    /// A few recently seen event types and their strings; streams repeat a handful of types.
    struct TypeCache: Sendable {
        private var entries: [(bytes: [UInt8], string: String)] = []
        private var nextSlot = 0

        mutating func string(for bytes: [UInt8]) -> String {
            for entry in entries where entry.bytes == bytes { return entry.string }
            let string = String(decoding: bytes, as: UTF8.self)
            if entries.count < 8 {
                entries.append((bytes, string))
            } else {
                entries[nextSlot] = (bytes, string)
                nextSlot = (nextSlot + 1) % 8
            }
            return string
        }
    }
}
