import TallyUsage
import TallyJSON

/// What a stream decoder has learned so far; a decoder works on a copy and keeps it only when
/// the whole event decoded, so an undecodable event changes nothing.
struct DecoderState: Sendable {
    var usage: Usage?
    /// How the provider counts tokens inside the wire format.
    var usageConvention = UsageConvention.standard
    var model: String?
    var responseID: String?
    var started = false
    var finishReason: String?
    var done = false
    /// Anthropic's counts so far: `message_start`, then each `message_delta` replacing fields.
    var anthropicCounts = UsageCounts()
}

/// Where a decoder puts the events of one data event before they are handed out.
struct EventStaging {
    var events: [StreamEvent] = []
    /// Tool call fragments of the choice being read, emitted after its text.
    var toolCalls: [ToolCallDelta] = []

    mutating func reset() {
        events.removeAll(keepingCapacity: true)
        toolCalls.removeAll(keepingCapacity: true)
    }
}

extension JSONReader {
    /// Reads an error object (`{"type", "code", "message"}`); nil for `null` or another kind.
    mutating func readProviderError() throws(JSONSyntaxError) -> ProviderError? {
        guard peekKind() == .object else {
            try skipValue()
            return nil
        }
        var error = ProviderError()
        var object = try beginObject()
        while let key = try nextKey(&object) {
            if key == "message" {
                error.message = try readText() ?? ""
            } else if key == "type" {
                error.type = try readText()
            } else if key == "code" {
                error.code = try readText()
            } else {
                try skipValue()
            }
        }
        return error
    }

    /// Reads an integer that is an index; 0 when absent, `null`, or out of range.
    mutating func readIndex() throws(JSONSyntaxError) -> Int {
        guard let value = try readInteger(), let index = Int(exactly: value) else { return 0 }
        return index
    }
}
