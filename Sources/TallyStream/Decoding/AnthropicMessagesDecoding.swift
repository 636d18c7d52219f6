import TallyJSON
/// Decodes Anthropic messages stream events.
///
/// The event kind comes from the JSON `type` field (relays do not always send the SSE `event`
/// line); fields are read whatever their order. Usage: `message_start` carries the input side,
/// each `message_delta` the cumulative counts so far, and the last value of each field wins.
enum AnthropicMessagesDecoding {
    static func decode(
        _ reader: inout JSONReader,
        sseType: String,
        state: inout DecoderState,
        staging: inout EventStaging
    ) throws(JSONSyntaxError) {
        var kind: EventKind?
        var index = 0
        var messageModel: String?
        var messageID: String?
        var counts: UsageCounts?
        var block: ContentBlock?
        var delta = Delta()
        var error: ProviderError?

        var object = try reader.beginObject()
        while let key = try reader.nextKey(&object) {
            if key == "type" {
                kind = try reader.readName().map { name in EventKind { name == $0 } }
            } else if key == "index" {
                index = try reader.readIndex()
            } else if key == "delta" {
                delta = try readDelta(&reader)
            } else if key == "usage" {
                counts = try UsageCounts.readAnthropic(&reader)
            } else if key == "message" {
                guard reader.peekKind() == .object else {
                    try reader.skipValue()
                    continue
                }
                var message = try reader.beginObject()
                while let field = try reader.nextKey(&message) {
                    if field == "model" {
                        messageModel = try reader.readString()
                    } else if field == "id" {
                        messageID = try reader.readString()
                    } else if field == "usage" {
                        counts = try UsageCounts.readAnthropic(&reader)
                    } else {
                        try reader.skipValue()
                    }
                }
            } else if key == "content_block" {
                block = try readBlock(&reader)
            } else if key == "error" {
                error = try reader.readProviderError()
            } else {
                try reader.skipValue()
            }
        }
        try reader.end()

        switch kind ?? EventKind(matching: { Self.equal(sseType, $0) }) {
        case .messageStart:
            state.model = messageModel ?? state.model
            state.responseID = messageID ?? state.responseID
            if !state.started {
                state.started = true
                staging.events.append(.started(model: state.model, id: state.responseID))
            }
        case .contentBlockStart:
            staging.events.append(.blockStarted(block ?? .other(""), index: index))
        case .contentBlockDelta:
            if let text = delta.text { staging.events.append(.text(text, index: index)) }
            if let thinking = delta.thinking { staging.events.append(.reasoning(thinking, index: index)) }
            if let signature = delta.signature { staging.events.append(.signature(signature, index: index)) }
            if let json = delta.partialJSON {
                staging.events.append(.toolCall(ToolCallDelta(index: index, arguments: json)))
            }
        case .contentBlockStop:
            staging.events.append(.blockStopped(index: index))
        case .messageDelta:
            if let reason = delta.stopReason, !reason.isEmpty {
                state.finishReason = reason
                staging.events.append(.finished(reason: reason, index: 0))
            }
        case .messageStop:
            state.done = true
            staging.events.append(.done)
        case .ping:
            staging.events.append(.ping)
        case .error:
            staging.events.append(.providerError(error ?? ProviderError()))
        case .other:
            break
        }
        if let counts {
            state.anthropicCounts = state.anthropicCounts.updated(with: counts)
            let usage = state.anthropicCounts.anthropicUsage
            state.usage = usage
            staging.events.append(.usage(usage))
        }
    }

    /// The kinds of event this decoder acts on.
    enum EventKind {
        case messageStart, contentBlockStart, contentBlockDelta, contentBlockStop
        case messageDelta, messageStop, ping, error, other

        /// The kind whose wire name `matches` accepts.
        init(matching matches: (StaticString) -> Bool) {
            if matches("content_block_delta") {
                self = .contentBlockDelta
            } else if matches("content_block_start") {
                self = .contentBlockStart
            } else if matches("content_block_stop") {
                self = .contentBlockStop
            } else if matches("message_start") {
                self = .messageStart
            } else if matches("message_delta") {
                self = .messageDelta
            } else if matches("message_stop") {
                self = .messageStop
            } else if matches("ping") {
                self = .ping
            } else if matches("error") {
                self = .error
            } else {
                self = .other
            }
        }
    }

    /// Whether a run-time string equals a literal name.
    static func equal(_ string: String, _ name: StaticString) -> Bool {
        string.utf8.elementsEqual(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }

    /// The fields of a `content_block_delta` or `message_delta` delta.
    struct Delta {
        var text: String?
        var thinking: String?
        var signature: String?
        var partialJSON: String?
        var stopReason: String?
    }

    private static func readDelta(_ reader: inout JSONReader) throws(JSONSyntaxError) -> Delta {
        var delta = Delta()
        guard reader.peekKind() == .object else {
            try reader.skipValue()
            return delta
        }
        var object = try reader.beginObject()
        while let key = try reader.nextKey(&object) {
            if key == "text" {
                delta.text = try reader.readString()
            } else if key == "thinking" {
                delta.thinking = try reader.readString()
            } else if key == "signature" {
                delta.signature = try reader.readString()
            } else if key == "partial_json" {
                delta.partialJSON = try reader.readString()
            } else if key == "stop_reason" {
                delta.stopReason = try reader.readString()
            } else {
                try reader.skipValue()
            }
        }
        return delta
    }

    private static func readBlock(_ reader: inout JSONReader) throws(JSONSyntaxError) -> ContentBlock? {
        guard reader.peekKind() == .object else {
            try reader.skipValue()
            return nil
        }
        var type = ""
        var id: String?
        var name: String?
        var object = try reader.beginObject()
        while let key = try reader.nextKey(&object) {
            if key == "type" {
                type = try reader.readString() ?? ""
            } else if key == "id" {
                id = try reader.readString()
            } else if key == "name" {
                name = try reader.readString()
            } else {
                try reader.skipValue()
            }
        }
        switch type {
        case "text": return .text
        case "thinking": return .thinking
        case "redacted_thinking": return .redactedThinking
        case "tool_use", "server_tool_use": return .toolUse(id: id, name: name)
        default: return .other(type)
        }
    }
}
