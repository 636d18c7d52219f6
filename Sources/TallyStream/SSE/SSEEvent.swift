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
