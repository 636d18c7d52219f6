/// One event dispatched by an ``SSEParser``, as the WHATWG EventSource rules define it.
public struct SSEEvent: Sendable, Hashable {
    /// The event type: the last `event` field of the event, or `"message"` when there was none.
    public var type: String
    /// The `data` lines of the event joined with `\n`, as raw UTF-8 bytes.
    public var data: [UInt8]
    /// The last event ID in force when the event was dispatched (`id` fields persist across events).
    public var lastEventID: String

    /// Creates an event from its parts.
    public init(type: String = "message", data: [UInt8], lastEventID: String = "") {
        self.type = type
        self.data = data
        self.lastEventID = lastEventID
    }

    /// Creates an event whose data is the UTF-8 encoding of `text`.
    public init(type: String = "message", text: String, lastEventID: String = "") {
        self.init(type: type, data: Array(text.utf8), lastEventID: lastEventID)
    }

    /// The data decoded as UTF-8, invalid sequences replaced by U+FFFD as the EventSource rules say.
    public var text: String { String(decoding: data, as: UTF8.self) }
}

extension SSEEvent {
    /// The event in SSE wire form, ending in the blank line that dispatches it: an `event` line
    /// unless the type is `"message"`, an `id` line when `includeID` is set, then one `data`
    /// line per line of the data (a `\r\n`, `\n` or `\r` in the data starts a new line).
    ///
    /// Line breaks in the type or the ID are dropped, so neither can inject a field.
    package func serialized(includeID: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + type.utf8.count + 16)
        func appendField(_ name: StaticString, _ value: some Sequence<UInt8>) {
            out.append(contentsOf: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
            out.append(contentsOf: value)
            out.append(0x0A)
        }
        let isLineBreak = { (byte: UInt8) in byte == 0x0A || byte == 0x0D }
        if type != "message" { appendField("event", type.utf8.filter { !isLineBreak($0) }) }
        if includeID { appendField("id", lastEventID.utf8.filter { !isLineBreak($0) && $0 != 0 }) }
        var start = 0
        var index = 0
        while index < data.count {
            if isLineBreak(data[index]) {
                appendField("data", data[start..<index])
                if data[index] == 0x0D, index + 1 < data.count, data[index + 1] == 0x0A { index += 1 }
                start = index + 1
            }
            index += 1
        }
        appendField("data", data[start..<data.count])
        out.append(0x0A)
        return out
    }
}
