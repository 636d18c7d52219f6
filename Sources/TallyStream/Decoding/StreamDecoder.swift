public import TallyUsage
import TallyJSON

/// Turns the events of one provider stream into typed ``StreamEvent``s and keeps the usage,
/// the model and the finish reason the stream reported.
///
/// An event whose data is not the JSON the format expects becomes ``StreamEvent/undecodable(_:)``
/// and changes nothing else; decoding goes on with the next event, so usage that follows is kept.
///
/// ```swift
/// var parser = SSEParser()
/// var decoder = StreamDecoder(format: .openAIChat)
/// try parser.parse(chunk) { event in decoder.decode(event) { print($0) } }
/// let usage = decoder.usage
/// ```
public struct StreamDecoder: Sendable {
    /// The wire format being decoded.
    public let format: WireFormat
    /// How the provider counts tokens inside that format (xAI's chat completions differ).
    public var usageConvention: UsageConvention { state.usageConvention }
    private var state = DecoderState()
    private var staging = EventStaging()

    /// Creates a decoder for a stream in `format` from a provider counting usage by `usageConvention`.
    public init(format: WireFormat, usageConvention: UsageConvention = .standard) {
        self.format = format
        state.usageConvention = usageConvention
    }

    /// The latest usage the stream reported; nil when it reported none (yet).
    public var usage: Usage? { state.usage }
    /// The model the provider said it used, from the first event that named one.
    public var model: String? { state.model }
    /// The provider's ID of the response, from the first event that carried one.
    public var responseID: String? { state.responseID }
    /// The last finish or stop reason reported.
    public var finishReason: String? { state.finishReason }
    /// Whether the provider said the stream is complete.
    public var isDone: Bool { state.done }

    /// Decodes one SSE event, calling `emit` with each typed event it holds, in order.
    public mutating func decode(_ event: SSEEvent, _ emit: (StreamEvent) -> Void) {
        event.data.withUnsafeBytes { data in
            decode(data: data, sseType: event.type, emit)
        }
    }

    /// Decodes one SSE event and returns the typed events it holds.
    public mutating func decode(_ event: SSEEvent) -> [StreamEvent] {
        var events: [StreamEvent] = []
        decode(event) { events.append($0) }
        return events
    }

    /// Decodes the data of one event of the given SSE type.
    package mutating func decode(data: UnsafeRawBufferPointer, sseType: String, _ emit: (StreamEvent) -> Void) {
        if Self.isBlank(data) { return }
        if Self.isDoneMarker(data) {
            state.done = true
            emit(.done)
            return
        }
        var reader = JSONReader(data)
        var next = state
        staging.reset()
        do throws(JSONSyntaxError) {
            switch format {
            case .openAIChat:
                try OpenAIChatDecoding.decode(&reader, state: &next, staging: &staging)
            case .anthropicMessages:
                try AnthropicMessagesDecoding.decode(&reader, sseType: sseType, state: &next, staging: &staging)
            case .openAIResponses:
                try ResponsesDecoding.decode(&reader, sseType: sseType, state: &next, staging: &staging)
            }
        } catch {
            emit(.undecodable(DecodeError(message: error.message, offset: error.offset, data: data)))
            return
        }
        state = next
        for event in staging.events { emit(event) }
    }

    /// Whether the data is only whitespace: a keep-alive, not an error.
    private static func isBlank(_ data: UnsafeRawBufferPointer) -> Bool {
        for byte in data where !(byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D) { return false }
        return true
    }

    /// Whether the data is the `[DONE]` marker OpenAI-style streams end with.
    private static func isDoneMarker(_ data: UnsafeRawBufferPointer) -> Bool {
        let marker: StaticString = "[DONE]"
        var start = 0
        var end = data.count
        while start < end, data[start] == 0x20 { start += 1 }
        while end > start, data[end - 1] == 0x20 || data[end - 1] == 0x0A || data[end - 1] == 0x0D { end -= 1 }
        guard end - start == marker.utf8CodeUnitCount, let base = data.baseAddress else { return false }
        return ByteSearch.equal(base + start, marker.utf8Start, count: marker.utf8CodeUnitCount)
    }
}
